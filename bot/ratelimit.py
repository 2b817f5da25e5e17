"""Rate limits shared by every client and every worker of one bot (issue 11).

One `SharedLimiter` per process per platform token (`limiter_for`), however many
clients the process opens with that token. Its counts live in Redis when
`HOTPAPERS_REDIS_URL` is set (the `limits` library's async Redis storage), so every
worker process of the bot spends one count; without Redis each process counts in memory
and takes its share of a contended rate: the rate divided by the live workers, read from
the callable registered with `set_live_workers` (refreshed every few seconds, not per
request; 1 until one is registered). The worker registers its fleet once at start:
`set_live_workers(fleet.live_count)`.

Keys carry the platform, a short sha256 of the token (never the token) and the bucket:
`hotpapers:discord:3f2a9c0d1e4b:global`, `hotpapers:slack:...:channel:C0123`,
`hotpapers:slack:...:method:T0123:users.info`.

Each bucket is a moving window (`limits`' exact sliding window: never more than `amount`
grants in any `period` seconds, unlike a fixed window, which allows twice as many across a
boundary). A smoothed rate (Discord's global limit, counted by Discord per sliding
second) is also spread out: at most `amount / 25` grants (rounded up) in each 40 ms slot.
Without it the window fills in one burst at the start and then the burst repeats a second
later; the requests of a burst reach the server a few milliseconds apart in another order
than they were granted, so the server's own sliding second would see some of both bursts.
(One grant per `period / amount` slot would be smoother, but a worker whose event loop is
busy wakes up late, and each slot it sleeps through is lost: at 192 requests/s that halved
a fan-out's rate; a few grants a slot catch up.)
Waiting is `asyncio.sleep` until the slot or the window frees (never a spin), one waiter
per process and bucket at a time (one task takes the grants for the queued requests, in
order). `limits` stamps a
grant with the worker's clock before its round trip to Redis, and the request reaches the
platform a little later still: the margin under the platform's limit (48 of Discord's
50) and `WINDOW_GUARD` absorb that spread, and the workers' clocks must agree (NTP).

Redis unreachable: one warning line (never the URL), then each worker counts alone at its
share for `REDIS_RETRY_AFTER` seconds before Redis is tried again.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import logging
import math
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.errors import StorageError
from pydantic import SecretStr

log = logging.getLogger(__name__)

LiveWorkers = Callable[[], Awaitable[int]]
REFRESH_EVERY = 5.0  # seconds a live-worker count is trusted
REDIS_RETRY_AFTER = 10.0  # seconds each worker counts alone after Redis failed
REDIS_TIMEOUT = 1.0  # seconds to connect to / hear from Redis
KEY_PREFIX = "hotpapers"
TOKEN_ID_LENGTH = 12  # hex digits of the token's sha256 in a key
# A waiter tries again this long after the window's oldest grant has left it: an entry's
# time is taken before the round trip to Redis, and its request leaves after it.
WINDOW_GUARD = 0.01
SMOOTH_SLOT = 0.04  # of a period: a smoothed rate grants amount/25 per slot at most


@dataclass(frozen=True, slots=True)
class Rate:
    """`amount` grants per `period` seconds (whole seconds: Redis expiries are).
    `contended`: every worker spends it at once (Discord's global limit, Slack's method
    tiers), so without Redis each takes its share; False for a bucket one worker uses at a
    time (a channel: the delivery lease keeps one poster per thread). `smooth`: at most
    `amount / 25` grants (rounded up) per `SMOOTH_SLOT` too (see the module doc)."""

    amount: int
    period: int = 1
    contended: bool = True
    smooth: bool = False

    @classmethod
    def per_second(cls, rate: float, *, smooth: bool = True) -> Rate:
        """`rate` requests/s as a whole number per second (at least 1)."""
        return cls(max(1, math.floor(rate)), 1, smooth=smooth)


class WorkerCount:
    """The number of live workers of the bot, from `source` (an async callable), asked
    at most every `refresh` seconds; 1 without a source or until it first answers; the
    last good answer when it fails."""

    def __init__(self, source: LiveWorkers | None = None, *,
                 refresh: float = REFRESH_EVERY) -> None:
        self.source = source
        self.refresh = refresh
        self._value = 1
        self._at = -math.inf
        self._task: asyncio.Task[None] | None = None

    def use(self, source: LiveWorkers | None) -> None:
        self.source, self._value, self._at, self._task = source, 1, -math.inf, None

    async def get(self) -> int:
        if self.source is None:
            return 1
        if time.monotonic() - self._at > self.refresh and (
                self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._ask())
        if self._at == -math.inf and self._task is not None:
            await asyncio.shield(self._task)  # the first answer is awaited: a share needs it
        return self._value

    async def _ask(self) -> None:
        try:
            if self.source is not None:
                self._value = max(1, int(await self.source()))
        except Exception as exc:  # a count we can't read: keep the last one
            log.warning("rate limits: cannot count the live workers (%s); keeping %d",
                        type(exc).__name__, self._value)
        finally:
            self._at = time.monotonic()


LIVE_WORKERS = WorkerCount()


def set_live_workers(source: LiveWorkers | None) -> None:
    """Register how this process counts the bot's live workers (for example
    `set_live_workers(lambda: fleet.live_count("worker"))`); None: count 1 again."""
    LIVE_WORKERS.use(source)


def token_id(token: str) -> str:
    """A short sha256 of a token: names its counts without revealing it."""
    return hashlib.sha256(token.encode()).hexdigest()[:TOKEN_ID_LENGTH]


_Waiter = tuple[asyncio.Future[None], Rate]


class SharedLimiter:
    """The rate limits of one platform token (see the module doc). `redis_url` (a
    redis:// URL) shares the counts with every process on the same Redis."""

    def __init__(self, platform: str, token: str, *, redis_url: str | None = None,
                 workers: WorkerCount | None = None, key_prefix: str = KEY_PREFIX) -> None:
        self.scope = f"{platform}:{token_id(token)}"
        self.workers = workers or LIVE_WORKERS
        self.shared = redis_url is not None
        self._redis_url = redis_url
        self._key_prefix = key_prefix
        self._redis: RedisStorage | None = None
        self._memory: MemoryStorage | None = None
        self._redis_down_until = -math.inf
        self._queues: dict[str, collections.deque[_Waiter]] = {}
        self._pumps: dict[str, asyncio.Task[None]] = {}
        self.waited = 0.0  # seconds spent waiting in all (for tests and benchmarks)

    async def acquire(self, bucket: str, rate: Rate) -> None:
        """Wait until one more request of `bucket` fits `rate`, and count it."""
        started = time.monotonic()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(bucket, collections.deque())
        queue.append((waiter, rate))
        pump = self._pumps.get(bucket)
        if pump is None or pump.done():
            self._pumps[bucket] = asyncio.create_task(self._pump(bucket, queue))
        await waiter
        self.waited += time.monotonic() - started

    async def _pump(self, bucket: str, queue: collections.deque[_Waiter]) -> None:
        """Takes the grants of `bucket` for its waiters, in order, while any wait. One
        task does it, not each waiter in turn: waking a waiter takes a turn of a busy event
        loop, and the next grant need not wait for it."""
        key = f"{self.scope}:{bucket}"
        try:
            while queue:
                waiter, rate = queue[0]
                if waiter.cancelled():
                    queue.popleft()
                    continue
                wait = await self._try(key, rate)
                if wait > 0:
                    await asyncio.sleep(wait)  # until the slot or the window frees
                    continue
                queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
        except Exception as exc:  # tell the waiters rather than leave them hanging
            while queue:
                waiter, _ = queue.popleft()
                if not waiter.done():
                    waiter.set_exception(exc)
        finally:  # nobody waits: forget the bucket (a channel's may never come back)
            if not queue:
                self._queues.pop(bucket, None)
                self._pumps.pop(bucket, None)

    async def _try(self, key: str, rate: Rate) -> float:
        """0 when a grant was counted, else the seconds until one may be."""
        redis = await self._redis_storage()
        if redis is not None:
            try:
                return await _take(redis, key, rate.amount, rate)
            except StorageError as exc:
                self._redis_failed(type(exc.storage_error).__name__)
        amount = rate.amount
        if rate.contended:
            amount = max(1, amount // await self.workers.get())
        if self._memory is None:
            self._memory = MemoryStorage()
        return await _take(self._memory, key, amount, rate)

    async def _redis_storage(self) -> RedisStorage | None:
        if self._redis_url is None or time.monotonic() < self._redis_down_until:
            return None
        if self._redis is None:
            redis = RedisStorage(
                "async+" + self._redis_url, implementation="redispy", wrap_exceptions=True,
                key_prefix=self._key_prefix, socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=REDIS_TIMEOUT)
            # Connected before the first grant: an entry's time is taken before its round
            # trip, and a first one that also connects would be stamped early.
            if not await redis.check():
                await _close(redis)
                self._redis_failed("no answer to PING")
                return None
            self._redis = redis
        return self._redis

    def _redis_failed(self, why: str) -> None:
        self._redis_down_until = time.monotonic() + REDIS_RETRY_AFTER
        log.warning("rate limits: Redis unreachable (%s); each worker counts alone at its "
                    "share for %.0f s", why, REDIS_RETRY_AFTER)

    async def close(self) -> None:
        """Close the Redis connections (the counts stay in Redis until they expire)."""
        if self._redis is not None:
            redis, self._redis = self._redis, None
            await _close(redis)


async def _close(redis: RedisStorage) -> None:
    bridge = redis.bridge
    if isinstance(bridge, RedispyBridge):
        client: Any = bridge.get_connection()  # redis.asyncio.Redis (limits types a protocol)
        await client.aclose()


async def _take(storage: RedisStorage | MemoryStorage, key: str, amount: int,
                rate: Rate) -> float:
    if rate.smooth:
        slot = SMOOTH_SLOT * rate.period
        per_slot = math.ceil(amount * SMOOTH_SLOT)
        n = math.floor(time.time() / slot)
        # Fixed slots, a few grants each: counted before the window (a slot grant the
        # window then refuses only delays the next grant a little).
        if await storage.incr(f"{key}:slot:{n}", max(1, math.ceil(2 * slot))) > per_slot:
            return max((n + 1) * slot - time.time(), 0.001)
    if await storage.acquire_entry(key, amount, rate.period):
        return 0.0
    oldest, _ = await storage.get_moving_window(key, amount, rate.period)
    return max(oldest + rate.period + WINDOW_GUARD - time.time(), 0.001)


_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, SharedLimiter]] = \
    weakref.WeakKeyDictionary()


def limiter_for(platform: str, token: str, *, redis_url: SecretStr | str | None = None
                ) -> SharedLimiter:
    """The process's one limiter for `platform` and `token` (per event loop: Redis
    connections and locks belong to one), made on first use; `redis_url`
    (`settings.redis_url`) shares its counts with every worker."""
    if isinstance(redis_url, SecretStr):
        redis_url = redis_url.get_secret_value()
    limiters = _LIMITERS.setdefault(asyncio.get_running_loop(), {})
    key = f"{platform}:{token_id(token)}"
    limiter = limiters.get(key)
    if limiter is None:
        limiter = limiters[key] = SharedLimiter(platform, token, redis_url=redis_url)
    return limiter
