"""bot.retry: the one retry helper (tenacity) every outbound HTTP call goes through."""

from __future__ import annotations

import logging

import pytest

from bot.retry import (
    Retryable,
    RetryPolicy,
    describe_failure,
    next_wait,
    retry_after_seconds,
    retrying,
)


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_retryable_failures_are_tried_again_with_doubling_backoff() -> None:
    calls = 0
    sleep = Sleeps()

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise Retryable("HTTP 503")
        return "ok"

    policy = RetryPolicy(attempts=5, backoff=1.0, max_backoff=30.0, jitter=False)
    assert await retrying(flaky, policy, what="test", sleep=sleep) == "ok"
    assert calls == 4
    assert sleep.waits == [1.0, 2.0, 4.0]


async def test_the_servers_retry_after_wins_and_is_capped() -> None:
    sleep = Sleeps()
    answers = iter([Retryable("HTTP 429", 7.0), Retryable("HTTP 429", 500.0)])

    async def limited() -> int:
        error = next(answers, None)
        if error is not None:
            raise error
        return 1

    policy = RetryPolicy(attempts=3, backoff=0.1, max_retry_after=60.0, jitter=False)
    assert await retrying(limited, policy, what="test", sleep=sleep) == 1
    assert sleep.waits == [7.0, 60.0]


async def test_after_the_last_attempt_the_last_failure_is_raised() -> None:
    sleep = Sleeps()

    async def down() -> None:
        raise Retryable("connection refused")

    with pytest.raises(Retryable, match="connection refused"):
        await retrying(down, RetryPolicy(attempts=3, backoff=0.5, jitter=False), what="t",
                       sleep=sleep)
    assert len(sleep.waits) == 2  # no wait after the last attempt


async def test_other_errors_are_not_retried() -> None:
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("bug")

    with pytest.raises(KeyError):
        await retrying(broken, RetryPolicy(attempts=5), what="t", sleep=Sleeps())
    assert calls == 1


async def test_each_retry_is_one_line_saying_what_comes_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[tuple[int, int, str, float]] = []
    shown: list[str] = []
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise Retryable("HTTP 503")

    with caplog.at_level(logging.INFO, logger="hotpapers.retry"):
        policy = RetryPolicy(attempts=5, backoff=16.0, max_backoff=100.0, jitter=False)
        await retrying(flaky, policy, what="arXiv API", sleep=Sleeps(),
                       on_retry=lambda *args: seen.append(args), notice=shown.append)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "arXiv API: attempt 1 of 5 failed (HTTP 503); next try in 16 s"
    assert lines[1] == "arXiv API: attempt 2 of 5 failed (HTTP 503); next try in 32 s"
    assert seen == [(1, 5, "HTTP 503", 16.0), (2, 5, "HTTP 503", 32.0)]
    assert shown == lines  # the same lines, for a progress display


def test_jitter_stays_within_a_quarter_either_way() -> None:
    policy = RetryPolicy(backoff=4.0, max_backoff=100.0, jitter=True)
    waits = [next_wait(policy, 2, None) for _ in range(200)]
    assert all(6.0 <= w <= 10.0 for w in waits)
    assert len({round(w, 3) for w in waits}) > 1


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"Retry-After": "-1"}) == 0.0
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after_seconds({}) is None


async def test_a_refused_connection_is_called_that() -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectorError) as err:
            await session.get("http://127.0.0.1:9/")
    assert describe_failure(err.value) == "connection refused"
