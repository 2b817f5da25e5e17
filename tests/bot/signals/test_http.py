"""The shared JSON fetcher: Retry-After, give-up rules, bodies that aren't JSON, refusals."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.errors import HttpError, SourceUnavailable
from bot.retry import RetryPolicy
from bot.retry import retry_after_seconds as _retry_after
from bot.signals.http import JsonFetcher, RateLimit, pages_ahead
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import SocialServers

FAST = RetryPolicy(attempts=3, backoff=0.01, timeout=2.0, max_retry_after=5)
PARAMS = {"date": "2021-08-06", "token": "query-secret"}


@pytest.fixture
async def fake() -> AsyncIterator[SocialServers]:
    async with SocialServers(Corpus()).running() as servers:
        yield servers


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def fetcher(session: aiohttp.ClientSession, fake: SocialServers) -> JsonFetcher:
    return JsonFetcher(session, "hf", fake.url("hf"), RateLimit(100, 1), FAST)


async def test_integer_retry_after_is_waited_for(
    session: aiohttp.ClientSession, fake: SocialServers
) -> None:
    fake.fail("hf", 503, retry_after="1")
    began = time.monotonic()
    assert await fetcher(session, fake).get("daily_papers", PARAMS) == []
    assert time.monotonic() - began >= 1.0
    first, second = fake.requests("hf")
    assert (first.status, second.status) == (503, 200) and second.at - first.at >= 0.95


async def test_a_retry_after_beyond_the_limit_gives_up_at_once(
    session: aiohttp.ClientSession, fake: SocialServers
) -> None:
    fake.fail("hf", 429, retry_after="900")
    began = time.monotonic()
    with pytest.raises(SourceUnavailable, match=r"^hf: .* rate limited for 900 s"):
        await fetcher(session, fake).get("daily_papers", PARAMS)
    assert time.monotonic() - began < 1 and len(fake.log) == 1


async def test_a_body_that_is_not_json_is_retried(
    session: aiohttp.ClientSession, fake: SocialServers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail("hf", 200, text="<html>maintenance</html>", times=2)
    assert await fetcher(session, fake).get("daily_papers", PARAMS) == []
    fake.fail("hf", 200, text="<html>maintenance</html>", times=3)
    with pytest.raises(SourceUnavailable, match="not JSON") as err:
        await fetcher(session, fake).get("daily_papers", PARAMS)
    assert "query-secret" not in str(err.value) + caplog.text  # no query string shown


async def test_a_refusal_is_not_retried(session: aiohttp.ClientSession,
                                        fake: SocialServers) -> None:
    fake.fail("hf", 403)
    with pytest.raises(HttpError) as err:
        await fetcher(session, fake).get("daily_papers", PARAMS)
    assert err.value.status == 403 and len(fake.log) == 1


async def test_connection_refused_becomes_source_unavailable(
    session: aiohttp.ClientSession,
) -> None:
    dead = JsonFetcher(session, "hn", "http://127.0.0.1:9/", RateLimit(100, 1), FAST)
    with pytest.raises(SourceUnavailable, match=r"^hn: 127.0.0.1/x failed after 3 tries "
                                                r"\(connection refused\)$"):
        await dead.get("x")


def test_retry_after_forms() -> None:
    assert _retry_after({"Retry-After": "7"}) == 7
    assert _retry_after({"Retry-After": "0.25"}) == 0.25
    assert _retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    reset = _retry_after({"x-rate-limit-reset": str(int(time.time()) + 60)})
    assert reset is not None and 55 <= reset <= 60
    reset = _retry_after({"ratelimit-reset": str(int(time.time()) + 30)})
    assert reset is not None and 25 <= reset <= 30
    assert _retry_after({}) is None


async def test_pages_ahead_overlaps_reading_with_the_next_request(
    session: aiohttp.ClientSession,
) -> None:
    async with SocialServers(Corpus(), latency=0.1).running() as slow:
        get = fetcher(session, slow)

        def follow(page: Any, counter: list[int] = [0]) -> Any:  # noqa: B006
            counter[0] += 1
            return get.get("daily_papers", {"date": "2021-08-06", "p": counter[0]}) \
                if counter[0] < 5 else None

        began = time.monotonic()
        async for _ in pages_ahead(get.get("daily_papers", {"date": "2021-08-06"}), follow):
            await asyncio.sleep(0.1)  # reading a page takes as long as fetching one
        wall = time.monotonic() - began
        assert len(slow.log) == 5
    # In turn: 5 x (0.1 + 0.1) = 1.0 s; overlapped: about 0.6 s.
    assert wall < 0.85, wall


async def test_stopping_early_cancels_the_request_in_flight(
    session: aiohttp.ClientSession,
) -> None:
    async with SocialServers(Corpus(), latency=0.05).running() as slow:
        get = fetcher(session, slow)
        pages = pages_ahead(get.get("daily_papers", {"date": "2021-08-06"}),
                            lambda _: get.get("daily_papers", {"date": "2021-08-06"}))
        async for _ in pages:
            break
        await pages.aclose()  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)
        assert len(slow.log) <= 3  # the first, at most `depth` ahead, then nothing


async def test_a_failure_ahead_is_raised_where_the_page_would_come(
    session: aiohttp.ClientSession, fake: SocialServers
) -> None:
    get = fetcher(session, fake)
    seen = []
    fake.fail("hf", 404, times=1)  # the request for the second page
    with pytest.raises(HttpError):
        async for page in pages_ahead(
            asyncio.sleep(0, result=["first"]),
            lambda page: get.get("daily_papers", {"date": "x"}) if page == ["first"] else None,
        ):
            seen.append(page)
    assert seen == [["first"]]
