"""Hacker News (Algolia) against the local fake: sliding past the 1,000-hit cap, dedupe,
429/5xx retries, permanent failure."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.errors import SourceUnavailable
from bot.models import Mention
from bot.retry import RetryPolicy
from bot.signals.base import SignalSource, TimeWindow
from bot.signals.hn import HackerNews
from bot.signals.http import RateLimit
from tests.fakes.social_corpus import Corpus, FakePost
from tests.fakes.social_servers import SocialServers, day_window, paper_ids_for

DAY = dt.date(2021, 8, 6)
START, END = day_window(DAY)
WINDOW = TimeWindow(DAY, START, END)
FAST = RetryPolicy(attempts=3, backoff=0.01, timeout=2.0)


async def collect(source: SignalSource, window: TimeWindow = WINDOW) -> list[Mention]:
    return [m async for m in source.mentions(window)]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def corpus(n: int, seed: int = 1) -> Corpus:
    shares = {"hn": 1.0}
    before = Corpus.generate(paper_ids_for(DAY, 50), 30, START - dt.timedelta(days=1), START,
                             seed=seed + 1, shares=shares)
    inside = Corpus.generate(paper_ids_for(DAY, 300), n, START, END, seed=seed, shares=shares)
    inside.extend(before.of("hn"))  # outside the window: must not come back
    return inside


async def test_all_stories_in_the_window_once_each_past_the_pagination_cap(
    session: aiohttp.ClientSession,
) -> None:
    data = corpus(2_600)
    async with SocialServers(data).running() as fake:
        hn = HackerNews(session, fake.url("hn"), retry=FAST)
        got = await collect(hn)
    expected = data.expected("hn", START, END)
    assert len(got) == len(expected) > 2_000
    assert {m.url for m in got} == set(expected)
    for m in got:
        post = expected[m.url]
        assert m.arxiv_ids == post.arxiv_ids
        assert (m.likes, m.reposts) == (post.likes, 0)  # points -> likes; comments aren't reposts
        assert m.url.startswith("https://news.ycombinator.com/item?id=")
        assert START <= (m.posted_at or START - dt.timedelta(1)) < END
    # Algolia serves 1,000 hits a query: 3 requests for 2,600 stories.
    assert len(fake.requests("hn")) == fake.min_requests("hn", START, END) == 3


def _same_second_corpus(n: int, group: range) -> Corpus:
    """`n` stories a second apart, newest first, except those in `group` share one second."""
    data, top = Corpus(), START + dt.timedelta(hours=3)
    for i in range(n):
        at = top - dt.timedelta(seconds=min(i, group.start) if i in group else i)
        arxiv_id = f"2108.{i + 1:05d}"
        data.add(FakePost("hn", str(100 + i), at, f"u{i}", f"t{i}",
                          (f"https://arxiv.org/abs/{arxiv_id}",), (arxiv_id,), likes=i))
    return data


@pytest.mark.parametrize(
    ("group", "cap"),
    [(range(3, 7), 5),  # a shared second straddles the cap: the next query re-includes it
     (range(2, 12), 10)],  # more stories in one second than a page: paged with `page`
)
async def test_stories_sharing_a_second_across_a_page_boundary_are_not_lost(
    session: aiohttp.ClientSession, group: range, cap: int
) -> None:
    data = _same_second_corpus(20, group)
    async with SocialServers(data, hn_pagination_cap=cap).running() as fake:
        got = await collect(HackerNews(session, fake.url("hn"), retry=FAST, page_size=5))
        assert sorted(m.url for m in got) == sorted(data.expected("hn", START, END))
        assert len(got) == 20
        assert len(fake.requests("hn")) <= 6


async def test_a_second_fuller_than_the_cap_is_stepped_past_not_looped_on(
    session: aiohttp.ClientSession,
) -> None:
    data = _same_second_corpus(20, range(0, 8))
    async with SocialServers(data, hn_pagination_cap=5).running() as fake:
        got = await collect(HackerNews(session, fake.url("hn"), retry=FAST, page_size=5))
        # Algolia cannot show more than the cap of one second: 5 of those 8, all others.
        assert len(got) == 5 + 12
        assert len(fake.requests("hn")) <= 6


async def test_429_waits_for_retry_after_then_succeeds(session: aiohttp.ClientSession) -> None:
    data = corpus(40)
    async with SocialServers(data).running() as fake:
        fake.fail("hn", 429, times=1, retry_after="0.4")
        hn = HackerNews(session, fake.url("hn"), retry=FAST)
        began = time.monotonic()
        got = await collect(hn)
        waited = time.monotonic() - began
        assert len(got) == len(data.expected("hn", START, END))
        statuses = [e.status for e in fake.requests("hn")]
        assert statuses == [429, 200]
        assert 0.4 <= waited < 2.0, f"waited {waited:.2f}s for Retry-After: 0.4"
        gap = fake.requests("hn")[1].at - fake.requests("hn")[0].at
        assert gap >= 0.38


async def test_5xx_and_timeouts_are_retried(session: aiohttp.ClientSession) -> None:
    data = corpus(40)
    async with SocialServers(data).running() as fake:
        fake.fail("hn", 503, times=1)
        fake.hang("hn", 0.5, times=1)
        retry = RetryPolicy(attempts=4, backoff=0.01, timeout=0.2)
        hn = HackerNews(session, fake.url("hn"), retry=retry)
        got = await collect(hn)
        assert len(got) == len(data.expected("hn", START, END))
        # 503, the request that hung past the client's timeout, then the answer.
        assert hn.fetcher.requests == 3
        assert fake.requests("hn")[0].status == 503


async def test_permanent_failure_raises_source_unavailable(
    session: aiohttp.ClientSession,
) -> None:
    async with SocialServers(corpus(10)).running() as fake:
        fake.fail("hn", 500, times=10)
        with pytest.raises(SourceUnavailable) as err:
            await collect(HackerNews(session, fake.url("hn"), retry=FAST))
        assert len(fake.requests("hn")) == FAST.attempts
    message = str(err.value)
    assert message.startswith("hn: ") and "HTTP 500" in message and "\n" not in message
    assert "numericFilters" not in message  # no query string in messages


async def test_client_keeps_to_its_rate_limit_without_429s(
    session: aiohttp.ClientSession,
) -> None:
    data = corpus(60)
    async with SocialServers(data, hn_pagination_cap=10, limits={"hn": (3, 0.3)}).running() as f:
        hn = HackerNews(session, f.url("hn"), retry=FAST, page_size=10,
                        rate=RateLimit(3, 0.33))
        began = time.monotonic()
        got = await collect(hn)
        elapsed = time.monotonic() - began
    assert len(got) == len(data.expected("hn", START, END))
    assert all(e.status == 200 for e in f.log)
    # 6+ requests at 10/s after a burst of 3: at least ~0.3 s.
    assert len(f.log) >= 6 and elapsed >= 0.25
