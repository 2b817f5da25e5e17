"""Bluesky searchPosts against the local fake: session, cursor paging, ids from facets and
link cards, expired tokens, refused passwords, rate limits, no secret in any message."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from bot.errors import SourceUnavailable
from bot.retry import RetryPolicy
from bot.signals.bluesky import Bluesky
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import SocialServers, collect, day_window, paper_ids_for

DAY = dt.date(2021, 8, 6)
START, END = day_window(DAY)
FAST = RetryPolicy(attempts=3, backoff=0.01, timeout=2.0)
HANDLE, PASSWORD = "bot.bsky.social", "app-pass-word-secret"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def corpus(n: int) -> Corpus:
    data = Corpus.generate(paper_ids_for(DAY, 300), n, START, END, shares={"bluesky": 1.0},
                           noise=0.05)
    data.extend(Corpus.generate(paper_ids_for(DAY, 300), 40, END, END + dt.timedelta(hours=5),
                                seed=9, shares={"bluesky": 1.0}).of("bluesky"))
    return data


def client(session: aiohttp.ClientSession, fake: SocialServers,
           password: str = PASSWORD) -> Bluesky:
    return Bluesky(session, HANDLE, SecretStr(password), fake.url("bluesky"), retry=FAST)


async def test_every_post_once_with_ids_from_facets_and_cards(
    session: aiohttp.ClientSession,
) -> None:
    data = corpus(730)
    async with SocialServers(data).running() as fake:
        got = await collect(client(session, fake), START, END)
        searches = fake.requests("bluesky", "searchPosts")
        assert len(fake.requests("bluesky", "createSession")) == 1
        assert len(searches) == 8 and len(fake.log) == fake.min_requests("bluesky", START, END)
        assert [e.query.get("cursor") for e in searches][:3] == [None, "100", "200"]
        assert all(e.query["domain"] == "arxiv.org" and e.query["limit"] == "100"
                   for e in searches)
    expected = data.expected("bluesky", START, END)
    assert len(got) == len({m.url for m in got}) == len(expected)
    assert {m.url for m in got} == set(expected)
    assert any(p.card_only for p in expected.values())  # the link only in the card
    assert len(expected) < len(data.in_window("bluesky", START, END))  # noise dropped
    for m in got:
        post = expected[m.url]
        assert set(m.arxiv_ids) == set(post.arxiv_ids)
        assert (m.likes, m.reposts) == (post.likes, post.reposts)
        assert m.url == f"https://bsky.app/profile/{post.author}/post/{post.post_id}"
        assert m.posted_at == post.created


async def test_an_expired_token_makes_one_new_session(session: aiohttp.ClientSession) -> None:
    data = corpus(350)
    async with SocialServers(data, bluesky_token_uses=2).running() as fake:
        got = await collect(client(session, fake), START, END)
        assert len(fake.requests("bluesky", "createSession")) == 2
    assert len(got) == len(data.expected("bluesky", START, END))


async def test_a_refused_password_is_one_line_without_the_password(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with SocialServers(corpus(5)).running() as fake:
        with pytest.raises(SourceUnavailable) as err:
            await collect(client(session, fake, password="wrong-secret-pw"), START, END)
    message = str(err.value)
    assert "could not sign in" in message and "HOTPAPERS_BLUESKY_APP_PASSWORD" in message
    assert "\n" not in message
    for secret in ("wrong-secret-pw", PASSWORD):
        assert secret not in message and secret not in caplog.text


async def test_429_and_5xx_are_retried_and_the_token_never_logged(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    data = corpus(150)
    async with SocialServers(data).running() as fake:
        bsky = client(session, fake)
        fake.fail("bluesky", 429, retry_after="0.3")  # on createSession
        fake.fail("bluesky", 500)
        got = await collect(bsky, START, END)
        assert bsky.fetcher.waited >= 0.3
        tokens = list(fake.sessions)
    assert len(got) == len(data.expected("bluesky", START, END))
    assert "429" in caplog.text  # the retry is logged ...
    for secret in (PASSWORD, *tokens):  # ... but no secret is
        assert secret not in caplog.text
    assert PASSWORD not in repr(bsky)


async def test_permanent_failure_raises_source_unavailable(
    session: aiohttp.ClientSession,
) -> None:
    async with SocialServers(corpus(5)).running() as fake:
        fake.fail("bluesky", 503, times=10)
        with pytest.raises(SourceUnavailable, match=r"^bluesky: .*3 tries \(HTTP 503\)$"):
            await collect(client(session, fake), START, END)
        assert len(fake.log) == 3


async def test_the_servers_ratelimit_reset_is_waited_for(
    session: aiohttp.ClientSession,
) -> None:
    data = corpus(250)
    async with SocialServers(data, limits={"bluesky": (2, 1.0)}).running() as fake:
        bsky = client(session, fake)
        got = await collect(bsky, START, END)  # session + 3 pages, 2 at once
        statuses = [e.status for e in fake.log]
        # Which request meets the limit depends on timing (the next page is prefetched):
        # at least one does, every other answer is a success, and the client waited for
        # the server's reset before asking again.
        limited = [i for i, s in enumerate(statuses) if s == 429]
        assert limited and statuses[-1] == 200
        assert all(s == 200 for i, s in enumerate(statuses) if i not in limited)
        assert len(statuses) == 4 + len(limited)
        gaps = sum(fake.log[i + 1].at - fake.log[i].at for i in limited)
        assert gaps >= bsky.fetcher.waited > 0
    assert len(got) == len(data.expected("bluesky", START, END))
