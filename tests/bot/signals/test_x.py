"""X API v2 recent search against the local fake: next_token paging, ids from entities,
the 7-day reach, refused tokens, retries, no token in any message or log."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.errors import SourceOutOfReach, SourceUnavailable
from bot.retry import RetryPolicy
from bot.signals.x import XRecentSearch
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import SocialServers, collect, day_window, paper_ids_for

DAY = dt.date(2021, 8, 6)
START, END = day_window(DAY)
NOW = END + dt.timedelta(hours=2)
FAST = RetryPolicy(attempts=3, backoff=0.01, timeout=2.0)
TOKEN = "x-secret-bearer"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def corpus(n: int) -> Corpus:
    data = Corpus.generate(paper_ids_for(DAY, 300), n, START, END, shares={"x": 1.0})
    data.extend(Corpus.generate(paper_ids_for(DAY, 300), 50, END, NOW, seed=4,
                                shares={"x": 1.0}).of("x"))
    return data


def client(session: aiohttp.ClientSession, fake: SocialServers, token: str = TOKEN,
           now: dt.datetime = NOW) -> XRecentSearch:
    return XRecentSearch(session, SecretStr(token), fake.url("x"), retry=FAST,
                         clock=lambda: now)


async def test_every_tweet_once_paged_with_next_token(session: aiohttp.ClientSession) -> None:
    data = corpus(1_234)
    async with SocialServers(data, now=NOW).running() as fake:
        got = await collect(client(session, fake), START, END)
        asked = fake.requests("x")
        assert len(asked) == 13 == fake.min_requests("x", START, END)
        assert "next_token" not in asked[0].query and all("next_token" in e.query
                                                          for e in asked[1:])
        assert asked[0].query["query"] == "url:arxiv.org -is:retweet"
        assert asked[0].query["max_results"] == "100"
        assert asked[0].query["start_time"] == "2021-08-06T00:00:00Z"
    expected = data.expected("x", START, END)
    assert len(got) == len({m.url for m in got}) == len(expected)
    assert {m.url for m in got} == set(expected)
    for m in got:
        post = expected[m.url]
        assert m.arxiv_ids == post.arxiv_ids  # from entities: the text only has t.co links
        assert (m.reposts, m.likes) == (post.reposts, post.likes)
        assert m.url == f"https://twitter.com/{post.author}/status/{post.post_id}"
        assert m.author_handle == post.author and m.language == "en"
        # the t.co links are expanded, the picture's link dropped
        assert "t.co/" not in m.text and "pic.twitter.com" not in m.text
        if not post.card_only:
            assert all(link in m.text for link in post.links), (m.text, post.links)


async def test_a_window_older_than_seven_days_is_out_of_reach_without_asking(
    session: aiohttp.ClientSession,
) -> None:
    async with SocialServers(corpus(10), now=NOW).running() as fake:
        x = client(session, fake, now=NOW + dt.timedelta(days=9))
        with pytest.raises(SourceOutOfReach, match=r"reaches back 7 days: .* is out of reach"
                           ) as err:
            await collect(x, START, END)
        assert not isinstance(err.value, SourceUnavailable)  # a coverage note, not a failure
        assert fake.log == []


async def test_a_window_reaching_into_the_future_is_clipped(
    session: aiohttp.ClientSession,
) -> None:
    data = corpus(80)
    mid = END - dt.timedelta(hours=6)
    async with SocialServers(data, now=mid).running() as fake:
        got = await collect(client(session, fake, now=mid), START, END)
        assert fake.log[0].status == 200
    assert {m.url for m in got} == set(data.expected("x", START, mid - dt.timedelta(seconds=30)))


async def test_a_refused_token_is_one_line_and_never_shown(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with SocialServers(corpus(10), now=NOW).running() as fake:
        with pytest.raises(SourceUnavailable) as err:
            await collect(client(session, fake, token="revoked-secret-token"), START, END)
    message = str(err.value)
    assert "bearer token was refused" in message and "\n" not in message
    assert "revoked-secret-token" not in message + caplog.text


async def test_429_then_5xx_then_success(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    data = corpus(150)
    async with SocialServers(data, now=NOW).running() as fake:
        fake.fail("x", 429, retry_after="0.3")
        fake.fail("x", 503)
        x = client(session, fake)
        got = await collect(x, START, END)
        assert [e.status for e in fake.requests("x")] == [429, 503, 200, 200]
        assert x.fetcher.waited >= 0.3
    assert len(got) == len(data.expected("x", START, END))
    assert TOKEN not in caplog.text and TOKEN not in repr(x)


async def test_the_servers_rate_limit_reset_is_waited_for(
    session: aiohttp.ClientSession,
) -> None:
    data = corpus(250)
    async with SocialServers(data, now=NOW, limits={"x": (2, 1.0)}).running() as fake:
        x = client(session, fake)
        got = await collect(x, START, END)  # 3 pages, 2 at once: the third waits for reset
        statuses = [e.status for e in fake.requests("x")]
        assert statuses == [200, 200, 429, 200]
        limited, retried = fake.requests("x")[2:]
        # x-rate-limit-reset is an epoch second: the client waited until it had passed.
        assert retried.at - limited.at >= x.fetcher.waited > 0
    assert len(got) == len(data.expected("x", START, END))


async def test_permanent_failure_raises_source_unavailable(
    session: aiohttp.ClientSession,
) -> None:
    async with SocialServers(corpus(10), now=NOW).running() as fake:
        fake.fail("x", 500, times=5)
        with pytest.raises(SourceUnavailable, match=r"^x: .*3 tries \(HTTP 500\)$"):
            await collect(client(session, fake), START, END)
