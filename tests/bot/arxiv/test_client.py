"""The arXiv API client and the pacer, against recorded responses and the fake arXiv."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.arxiv.client import ArxivApi, parse_atom
from bot.arxiv.pacing import ArxivPacer
from bot.errors import ArxivUnavailable
from tests.fakes.arxiv_server import ArxivFake, make_day

DAY = dt.date(2021, 8, 6)


@pytest.fixture
async def fake() -> AsyncIterator[ArxivFake]:
    f = ArxivFake(papers=make_day(DAY, 30, replacements=3, outside=3))
    await f.start()
    yield f
    await f.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def api(fake: ArxivFake, session: aiohttp.ClientSession, interval: float = 0.0,
        page_size: int = 2000, **kw: float) -> ArxivApi:
    pacer = ArxivPacer(session, min_interval=interval, user_agent="hotpapers-test", **kw)
    return ArxivApi(pacer, fake.url + "/api/query", page_size=page_size)


def test_recorded_responses_parse(shared_data: Path) -> None:
    d = shared_data / "arxiv" / "api"
    page = parse_atom((d / "arxivpy_id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af_http200.xml")
                      .read_text("utf-8"))
    assert page.total == 1 and [p.arxiv_id for p in page.papers] == ["1707.08567"]
    p = page.papers[0]
    assert p.title.startswith("Proceedings of Workshop AEW10") and p.categories == ("cs.IT",)
    assert len(p.authors) == 34 and p.authors[0] == "Kees A. Schouhamer Immink"
    legacy = parse_atom((d / "arxivpy_legacy2016_id_list=1111.2011v2.xml").read_text("utf-8"))
    q = legacy.papers[0]
    assert q.arxiv_id == "1111.2011"
    assert q.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert "\n" not in q.title and q.title.startswith("Quantum Criticality for Extended")
    missing = parse_atom((d / "arxivpy_id_0000.0000_s0_m100_8b51d9633a68_http200.xml")
                         .read_text("utf-8"))
    assert missing.papers == [] and missing.total == 0 and not missing.looks_spuriously_empty
    bad = parse_atom((d / "arxivpy_id_abc_s0_m100_b79c8dcf6bc3_http400.xml").read_text("utf-8"))
    assert bad.papers == [] and bad.errors == ["incorrect id format for abc"]
    old = parse_atom((d / "arxivpy_id_astro-ph_0601001_s0_m100_3150dca9dc76_http200.xml")
                     .read_text("utf-8"))
    assert [p.arxiv_id for p in old.papers] == ["astro-ph/0601001"]
    paged = parse_atom((d / "arxivpy_q_testing_s10_m10_34e56e15aaac_http200.xml")
                       .read_text("utf-8"))
    assert paged.start == 10 and len(paged.papers) == 10 and paged.total > 20


async def test_metadata_in_batches_with_versions_stripped(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    ids = [p.paper.arxiv_id for p in fake.papers[:25]]
    got = await api(fake, session, page_size=10).metadata([i + "v2" for i in ids] + ["2108.99999"])
    assert sorted(got) == sorted(ids)
    assert got[ids[0]] == fake.papers[0].paper
    calls = fake.requests("/api/query")
    assert len(calls) == 3 and all(c.method == "POST" for c in calls)
    assert calls[0].params["id_list"].count(",") == 9


async def test_search_pages_through_results(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    found = await api(fake, session, page_size=7).search("cat:cs.LG OR cat:cs.CV")
    want = [p for p in fake._search("cat:cs.LG OR cat:cs.CV")]
    assert [p.arxiv_id for p in found] == [p.paper.arxiv_id for p in want]
    assert len(fake.log) == -(-len(want) // 7)


async def test_spurious_empty_page_is_fetched_again(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    fake.empty_next(2)
    ids = [p.paper.arxiv_id for p in fake.papers[:5]]
    got = await api(fake, session).metadata(ids)
    assert sorted(got) == sorted(ids)
    assert len(fake.log) == 3


async def test_endless_empty_pages_and_garbage_are_one_line_errors(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    fake.empty_next(10)
    with pytest.raises(ArxivUnavailable, match="kept answering empty pages"):
        await api(fake, session).search("cat:cs.LG")
    assert len(fake.log) == 4
    with pytest.raises(ArxivUnavailable, match="not Atom"):
        parse_atom("<html><body>Rate exceeded.")


async def test_503_with_retry_after_is_honoured(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    fake.fail_next(1, 503, retry_after=0.4)
    t0 = time.monotonic()
    got = await api(fake, session).metadata([fake.papers[0].paper.arxiv_id])
    assert len(got) == 1 and [r.status for r in fake.log] == [503, 200]
    assert fake.log[1].at - fake.log[0].at >= 0.38
    assert time.monotonic() - t0 < 5


async def test_gives_up_with_one_line_error(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    fake.fail_next(10, 500)
    with pytest.raises(ArxivUnavailable) as exc:
        await api(fake, session, attempts=3, backoff=0.01).metadata(["2108.10000"])
    assert "not answering" in str(exc.value) and "\n" not in str(exc.value)
    assert len(fake.log) == 3


async def test_client_error_is_not_retried(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.fail_next(1, 403)
    with pytest.raises(ArxivUnavailable, match="HTTP 403"):
        await api(fake, session).metadata(["2108.10000"])
    assert len(fake.log) == 1


async def test_pacer_spaces_requests_and_uses_one_connection(
    fake: ArxivFake, session: aiohttp.ClientSession
) -> None:
    import asyncio

    fake.min_interval = 0.2  # the fake answers 429 to anything faster
    client = api(fake, session, interval=0.2, page_size=5)
    ids = [p.paper.arxiv_id for p in fake.papers]
    await asyncio.gather(client.metadata(ids[:15]), client.metadata(ids[15:30]))
    assert len(fake.log) == 6 and all(r.status == 200 for r in fake.log)
    gaps = [b.at - a.at for a, b in itertools.pairwise(fake.log)]
    assert min(gaps) >= 0.19 and fake.max_in_flight == 1


@pytest.mark.slow
async def test_real_rate_three_seconds(fake: ArxivFake, session: aiohttp.ClientSession) -> None:
    fake.min_interval = 3.0
    client = api(fake, session, interval=3.0, page_size=10)
    await client.metadata([p.paper.arxiv_id for p in fake.papers[:20]])
    assert [r.status for r in fake.log] == [200, 200]
    assert fake.log[1].at - fake.log[0].at >= 2.95


async def test_user_agent_sent(session: aiohttp.ClientSession) -> None:
    from aiohttp import web

    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("User-Agent", ""))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        pacer = ArxivPacer(session, min_interval=0, user_agent="hotpapers/9 (+mailto:x@y)")
        assert await pacer.fetch("GET", f"http://127.0.0.1:{port}/") == "ok"
    finally:
        await runner.cleanup()
    assert seen == ["hotpapers/9 (+mailto:x@y)"]
