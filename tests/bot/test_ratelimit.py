"""bot.ratelimit on the real `limits` library: in memory (each worker its share) and on
the local Redis (127.0.0.1:6379; those tests skip with a reason when it is down), each
test under its own key prefix."""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from bot import ratelimit
from bot.ratelimit import Rate, SharedLimiter, WorkerCount, limiter_for

REDIS = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    if not _redis_up():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    yield f"hotpapers-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def limiters() -> AsyncIterator[list[SharedLimiter]]:
    made: list[SharedLimiter] = []
    yield made
    for limiter in made:
        await limiter.close()


def make(made: list[SharedLimiter], token: str = "token-a", *, prefix: str | None = None,
         workers: WorkerCount | None = None) -> SharedLimiter:
    limiter = SharedLimiter("discord", token, redis_url=REDIS if prefix else None,
                            key_prefix=prefix or "hotpapers", workers=workers or WorkerCount())
    made.append(limiter)
    return limiter


async def grants(limiter: SharedLimiter, n: int, rate: Rate, bucket: str = "global"
                 ) -> list[float]:
    """Acquire `n` times at once (as n concurrent requests would); the grant times."""
    times: list[float] = []

    async def one() -> None:
        await limiter.acquire(bucket, rate)
        times.append(time.time())

    await asyncio.gather(*(one() for _ in range(n)))
    return sorted(times)


def busiest_second(times: list[float], noise: float = 0.05) -> int:
    """The most grants in any sliding window of one second (less `noise`: the times are
    taken when the calls return: a round trip, or a busy machine's task switch, after the
    limiter's own)."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t - start < 1.0 - noise)
               for i, start in enumerate(times))


@pytest.mark.parametrize("shared", [False, True], ids=["memory", "redis"])
@pytest.mark.parametrize("smooth", [False, True], ids=["window", "smoothed"])
async def test_a_rate_holds_over_every_sliding_second(
        request: pytest.FixtureRequest, limiters: list[SharedLimiter], shared: bool,
        smooth: bool) -> None:
    prefix = request.getfixturevalue("redis_prefix") if shared else None
    limiter = make(limiters, prefix=prefix)
    times = await grants(limiter, 15, Rate(10, smooth=smooth))
    assert busiest_second(times) == 10
    assert times[-1] - times[0] >= 1.0  # the 11th waits for the first one's second
    gaps = [b - a for a, b in itertools.pairwise(times)]
    close = sum(1 for g in gaps if g < 0.02)  # 10/s smoothed: one grant per 40 ms slot
    assert close <= 2 if smooth else close >= 8, gaps


async def test_one_limiter_per_token_in_a_process_whatever_the_clients() -> None:
    a, b = limiter_for("discord", "token-a"), limiter_for("discord", "token-a")
    assert a is b  # two clients with one token: one count
    assert limiter_for("discord", "token-b") is not a
    assert limiter_for("slack", "token-a") is not a
    assert "token-a" not in a.scope and a.scope == f"discord:{ratelimit.token_id('token-a')}"
    # the two "clients" spend one rate together
    times = await asyncio.gather(grants(a, 4, Rate(6)), grants(b, 4, Rate(6)))
    assert busiest_second([t for ts in times for t in ts]) == 6


async def test_different_tokens_count_apart(limiters: list[SharedLimiter]) -> None:
    a, b = make(limiters, "token-a"), make(limiters, "token-b")
    started = time.time()
    ta, tb = await asyncio.gather(grants(a, 6, Rate(6)), grants(b, 6, Rate(6)))
    assert time.time() - started < 0.5  # each token has its own 6 per second
    assert busiest_second(ta + tb) == 12


async def test_processes_share_one_count_on_redis(redis_prefix: str,
                                                  limiters: list[SharedLimiter]) -> None:
    """Two limiters (as in two worker processes: separate objects, no memory in common)
    with one token on one Redis spend one rate; another token is counted apart."""
    one, two = make(limiters, prefix=redis_prefix), make(limiters, prefix=redis_prefix)
    other = make(limiters, "token-b", prefix=redis_prefix)
    times = await asyncio.gather(grants(one, 5, Rate(8)), grants(two, 5, Rate(8)),
                                 grants(other, 8, Rate(8)))
    assert busiest_second(times[0] + times[1]) == 8
    assert times[2][-1] - times[2][0] < 0.5  # token-b: its own 8, at once


async def test_without_redis_each_worker_takes_its_share(limiters: list[SharedLimiter]
                                                         ) -> None:
    asked = 0

    async def live() -> int:
        nonlocal asked
        asked += 1
        return 3

    workers = WorkerCount(live)
    one, two = make(limiters, workers=workers), make(limiters, workers=workers)
    times = await asyncio.gather(grants(one, 5, Rate(12)), grants(two, 5, Rate(12)))
    assert busiest_second(times[0]) == 4 and busiest_second(times[1]) == 4  # 12 / 3
    assert asked == 1  # asked once, not per request
    # a bucket one worker uses at a time (a channel) is not divided
    assert busiest_second(await grants(one, 5, Rate(5, contended=False), "channel:1")) == 5


async def test_the_worker_count_is_refreshed_and_survives_failures(
        caplog: pytest.LogCaptureFixture) -> None:
    answers: list[int | Exception] = [2, RuntimeError("database gone"), 5]

    async def live() -> int:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    workers = WorkerCount(live, refresh=0.05)
    assert await workers.get() == 2
    assert await workers.get() == 2  # fresh: not asked again
    await asyncio.sleep(0.06)
    with caplog.at_level(logging.WARNING):
        await workers.get()  # asks in the background
        await asyncio.sleep(0.01)
    assert await workers.get() == 2 and "cannot count the live workers" in caplog.text
    await asyncio.sleep(0.06)
    await workers.get()
    await asyncio.sleep(0.01)
    assert await workers.get() == 5
    assert await WorkerCount().get() == 1  # no source registered: one worker


async def test_redis_down_means_each_worker_alone_and_the_url_is_never_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    limiter = SharedLimiter("discord", "token-a", workers=WorkerCount(),
                            redis_url=f"redis://:hunter2-secret@127.0.0.1:{port}/0")
    with caplog.at_level(logging.WARNING):
        times = await grants(limiter, 6, Rate(5))
    assert busiest_second(times) == 5  # still limited, in memory
    assert "Redis unreachable" in caplog.text and "hunter2" not in caplog.text
    assert str(port) not in caplog.text
    await limiter.close()


async def test_a_request_given_up_while_waiting_takes_no_grant(limiters: list[SharedLimiter]
                                                               ) -> None:
    limiter = make(limiters)
    await grants(limiter, 3, Rate(3))  # the window is full for a second
    waiting = asyncio.create_task(limiter.acquire("global", Rate(3)))
    await asyncio.sleep(0.05)
    waiting.cancel()
    started = time.time()
    times = await grants(limiter, 3, Rate(3))  # the cancelled one left its place
    assert times[-1] - started < 1.2
