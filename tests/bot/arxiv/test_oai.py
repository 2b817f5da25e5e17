"""OAI-PMH ListRecords (arXivRaw): recorded pages, resumption tokens, the fallback listing."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.arxiv.client import ArxivApi
from bot.arxiv.listing import fetch_listing
from bot.arxiv.oai import list_records, oai_listing, parse_list_records, set_spec
from bot.arxiv.pacing import ArxivPacer
from bot.errors import ArxivUnavailable
from tests.fakes.arxiv_server import ArxivFake, make_day

DAY = dt.date(2021, 8, 6)


@pytest.fixture
async def fake() -> AsyncIterator[ArxivFake]:
    f = ArxivFake(papers=make_day(DAY, 25, replacements=6, outside=4), oai_page_size=10)
    await f.start()
    yield f
    await f.close()


@pytest.fixture
async def pacer() -> AsyncIterator[ArxivPacer]:
    async with aiohttp.ClientSession() as session:
        yield ArxivPacer(session, min_interval=0, backoff=0.01)


def listed(fake: ArxivFake) -> set[str]:
    return {p.paper.arxiv_id for p in fake.papers if p.announce_type in ("new", "cross")
            and any(c.startswith("cs.") or c == "stat.ML" for c in p.paper.categories)}


def test_set_specs() -> None:
    assert [set_spec(c) for c in ("cs", "stat.ML", "astro-ph", "astro-ph.CO", "math.LO")] == [
        "cs", "stat:stat:ML", "physics:astro-ph", "physics:astro-ph:CO", "math:math:LO"]


def test_recorded_pages(shared_data: Path) -> None:
    d = shared_data / "arxiv" / "oai_pmh"
    records, token = parse_list_records((d / "tamnd-arxiv-reader_list_page1.xml").read_text())
    assert token is not None and token.endswith("skip%3D3")
    assert [r.paper.arxiv_id for r in records][:2] == ["math/9602216", "1907.01743"]
    r = records[1]
    assert r.paper.categories == ("eess.IV", "cs.AI", "cs.CV", "cs.LG")
    assert r.paper.authors[-1] == "Dong Ni" and "and" not in r.paper.authors
    assert r.first_submitted == dt.datetime(2019, 7, 3, 5, 21, 52, tzinfo=dt.UTC)
    assert r.datestamp == dt.date(2024, 3, 5)
    last, token = parse_list_records((d / "tamnd-arxiv-reader_list_page2.xml").read_text())
    assert last and all(r.paper.arxiv_id for r in last)
    assert token is None  # an empty token ends the list


async def test_follows_resumption_tokens_and_refetches_empty_pages(
    fake: ArxivFake, pacer: ArxivPacer
) -> None:
    first = await list_records(pacer, fake.url + "/oai", day=DAY, set_="cs")
    in_cs = [p for p in fake.papers if any(c.startswith("cs.") for c in p.paper.categories)]
    assert len(first) == len(in_cs)  # replacements included: they are stamped that day too
    assert any(p.announce_type == "replace" for p in in_cs)
    assert len(fake.log) == -(-len(first) // 10) >= 3
    assert "resumptionToken" in fake.log[1].params and "set" not in fake.log[1].params
    fake.log.clear()
    fake.empty_next(1)  # a spurious empty page (with a token): fetched again
    again = await list_records(pacer, fake.url + "/oai", day=DAY, set_="cs")
    assert [r.paper.arxiv_id for r in again] == [r.paper.arxiv_id for r in first]
    assert len(fake.log) == -(-len(first) // 10) + 1
    nothing = await list_records(pacer, fake.url + "/oai", day=DAY + dt.timedelta(days=3),
                                 set_="cs")
    assert nothing == []  # noRecordsMatch


async def test_oai_listing_keeps_first_announcements_only(
    fake: ArxivFake, pacer: ArxivPacer
) -> None:
    papers = await oai_listing(DAY, pacer=pacer, oai_url=fake.url + "/oai",
                               listing=("cs", "stat.ML"))
    assert set(papers) == listed(fake)  # replacements (old v1) and other archives left out
    assert {r.params.get("set") for r in fake.log} >= {"cs", "stat:stat:ML"}


async def test_listing_falls_back_to_oai_when_the_api_fails(
    fake: ArxivFake, pacer: ArxivPacer
) -> None:
    fake.fail_next(5, 503)
    got = await fetch_listing(DAY, pacer=pacer, api=ArxivApi(pacer, fake.url + "/api/query"),
                              rss_base=fake.url + "/rss/", oai_url=fake.url + "/oai",
                              now=dt.datetime(2021, 9, 1, tzinfo=dt.UTC))
    assert got.via == "oai" and set(got.papers) == listed(fake)
    fake.fail_next(50, 503)
    with pytest.raises(ArxivUnavailable, match="OAI-PMH fallback failed too"):
        await fetch_listing(DAY, pacer=pacer, api=ArxivApi(pacer, fake.url + "/api/query"),
                            rss_base=fake.url + "/rss/", oai_url=fake.url + "/oai",
                            now=dt.datetime(2021, 9, 1, tzinfo=dt.UTC))
