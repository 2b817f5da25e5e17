"""The day's listing: RSS for the current day, the API's submission window for past days."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.arxiv.client import ArxivApi
from bot.arxiv.days import EASTERN, announced_at, feed_date, submission_window
from bot.arxiv.listing import clock_feed_day, fetch_listing, observe_feed, parse_rss, search_query
from bot.arxiv.pacing import ArxivPacer
from bot.errors import NoAnnouncement
from tests.fakes.arxiv_server import ArxivFake, make_day, rss_xml

DAY = dt.date(2021, 8, 6)  # a Friday


@pytest.fixture
async def fake() -> AsyncIterator[ArxivFake]:
    papers = make_day(DAY, 40, replacements=5, outside=5)
    papers += make_day(DAY - dt.timedelta(days=1), 10, seed=1)
    f = ArxivFake(papers=papers, rss_date=DAY)
    await f.start()
    yield f
    await f.close()


async def listing(fake: ArxivFake, date: dt.date, now: dt.datetime) -> object:
    async with aiohttp.ClientSession() as session:
        pacer = ArxivPacer(session, min_interval=0)
        return await fetch_listing(
            date, pacer=pacer, api=ArxivApi(pacer, fake.url + "/api/query"),
            rss_base=fake.url + "/rss/", now=now,
        )


def listed_ids(fake: ArxivFake, date: dt.date) -> set[str]:
    return {p.paper.arxiv_id for p in fake.papers
            if p.announced == date and p.announce_type in ("new", "cross")
            and any(c.startswith("cs.") or c == "stat.ML" for c in p.paper.categories)}


def test_dates_and_windows() -> None:
    assert announced_at(DAY) == dt.datetime(2021, 8, 5, 20, 0, tzinfo=EASTERN)
    assert announced_at(DAY).astimezone(dt.UTC) == dt.datetime(2021, 8, 6, 0, 0, tzinfo=dt.UTC)
    # Friday's listing: Wednesday 14:00 ET to Thursday 14:00 ET
    assert submission_window(DAY) == (dt.datetime(2021, 8, 4, 14, tzinfo=EASTERN),
                                      dt.datetime(2021, 8, 5, 14, tzinfo=EASTERN))
    # Monday's: Thursday to Friday; Tuesday's: Friday to Monday (the weekend)
    assert submission_window(dt.date(2021, 8, 9))[0].date() == dt.date(2021, 8, 5)
    assert [d.date() for d in submission_window(dt.date(2021, 8, 10))] == [
        dt.date(2021, 8, 6), dt.date(2021, 8, 9)]
    with pytest.raises(NoAnnouncement, match="pick a weekday, for example 2021-08-06"):
        submission_window(dt.date(2021, 8, 7))
    fri = dt.datetime(2021, 8, 6, 12, tzinfo=dt.UTC)
    assert feed_date(fri) == DAY
    assert feed_date(dt.datetime(2021, 8, 8, 19, 59, tzinfo=EASTERN)) == DAY  # Sunday evening
    assert feed_date(dt.datetime(2021, 8, 8, 20, 0, tzinfo=EASTERN)) == dt.date(2021, 8, 9)
    assert feed_date(dt.datetime(2021, 8, 5, 19, 59, tzinfo=EASTERN)) == dt.date(2021, 8, 5)
    q = search_query({"cs.LG", "stat.ML"}, *submission_window(DAY))
    assert q == "(cat:cs.LG OR cat:stat.ML) AND submittedDate:[202108041800 TO 202108051759]"


def test_rss_keeps_new_and_cross_and_splits_creators() -> None:
    day = make_day(DAY, 6, replacements=2, cross_share=0.5)
    date, papers = parse_rss(rss_xml(DAY, day, "cs+stat.ML"))
    assert date == DAY
    assert list(papers) == [p.paper.arxiv_id for p in day if p.announce_type != "replace"]
    first = day[0].paper
    assert papers[first.arxiv_id].authors == first.authors
    assert papers[first.arxiv_id].abstract == first.abstract
    assert set(papers[first.arxiv_id].categories) == set(first.categories)


def test_real_rss_header_and_item_fields(shared_data: Path) -> None:
    text = next((shared_data / "arxiv" / "rss").glob("*.txt")).read_text("utf-8")
    head = text.split("[TRUNCATED")[0]
    # close the truncated document so feedparser reads the real header and first item
    date, papers = parse_rss(head + "</description></item></channel></rss>")
    assert date == dt.date(2025, 9, 18)
    assert list(papers) == ["2509.13332"]
    assert papers["2509.13332"].title.startswith("Explicit Reasoning Makes Better Judges")
    assert papers["2509.13332"].abstract.startswith("As Large Language Models")


async def test_today_comes_from_rss(fake: ArxivFake) -> None:
    got = await listing(fake, DAY, now=dt.datetime(2021, 8, 6, 12, tzinfo=dt.UTC))
    assert got.via == "rss" and set(got.papers) == listed_ids(fake, DAY)  # type: ignore[attr-defined]
    assert [r.path for r in fake.log] == ["/rss/cs+stat.ML"]


async def test_past_day_comes_from_the_api_submission_window(fake: ArxivFake) -> None:
    past = DAY - dt.timedelta(days=1)
    got = await listing(fake, past, now=dt.datetime(2021, 8, 6, 12, tzinfo=dt.UTC))
    # the feed shows another day, so only the API is asked
    assert got.via == "api" and set(got.papers) == listed_ids(fake, past)  # type: ignore[attr-defined]
    assert [r.path for r in fake.log] == ["/api/query"]
    fake.log.clear()
    fake.rss_date = past  # a holiday: the feed still shows the day before; use the API
    got = await listing(fake, DAY, now=dt.datetime(2021, 8, 6, 12, tzinfo=dt.UTC))
    assert got.via == "api" and set(got.papers) == listed_ids(fake, DAY)  # type: ignore[attr-defined]
    assert [r.path for r in fake.log] == ["/rss/cs+stat.ML", "/api/query"]
    fake.rss_date = DAY
    fake.log.clear()
    got = await listing(fake, DAY, now=dt.datetime(2021, 9, 1, tzinfo=dt.UTC))
    assert set(got.papers) == listed_ids(fake, DAY)  # type: ignore[attr-defined]
    assert [r.path for r in fake.log] == ["/api/query"]  # long past: no RSS request
    assert "submittedDate:[202108041800 TO 202108051759]" in fake.log[0].params["search_query"]


async def test_weekend_is_a_clear_error(fake: ArxivFake) -> None:
    with pytest.raises(NoAnnouncement, match="Saturdays"):
        await listing(fake, dt.date(2021, 8, 7), now=dt.datetime(2021, 9, 1, tzinfo=dt.UTC))
    assert fake.log == []


async def test_observe_feed_reads_the_feeds_date_and_items(fake: ArxivFake) -> None:
    async with aiohttp.ClientSession() as session:
        pacer = ArxivPacer(session, min_interval=0, user_agent="hotpapers-test")
        late = dt.datetime(2021, 8, 20, 12, tzinfo=dt.UTC)  # the clock says otherwise
        seen = await observe_feed(pacer, fake.url + "/rss/", now=late)
        assert seen is not None and (seen.date, seen.dated) == (DAY, True)
        assert seen.items == 40  # new + cross (not the replacements, not other archives)
        fake.rss_date = dt.date(2021, 8, 16)  # dated, no listing: no announcement
        seen = await observe_feed(pacer, fake.url + "/rss/", now=late)
        assert seen is not None and (seen.date, seen.items) == (dt.date(2021, 8, 16), 0)
        fake.rss_date = None  # an undated empty feed: the clock tells, when it can
        seen = await observe_feed(pacer, fake.url + "/rss/", now=late)
        assert seen is not None and (seen.date, seen.items, seen.dated) == (
            dt.date(2021, 8, 20), 0, False)
        near_switch = dt.datetime(2021, 8, 20, 23, 30, tzinfo=EASTERN)
        assert await observe_feed(pacer, fake.url + "/rss/", now=near_switch) is None
    assert {r.path for r in fake.log} == {"/rss/cs+stat.ML"}
    assert clock_feed_day(dt.datetime(2021, 8, 20, 0, 30, tzinfo=EASTERN)) is None
    assert clock_feed_day(dt.datetime(2021, 8, 20, 19, 59, tzinfo=EASTERN)) == dt.date(2021, 8, 20)
