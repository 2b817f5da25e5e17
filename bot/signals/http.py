"""A small JSON client shared by the social sources.

One `aiohttp.ClientSession` (the process's) is passed in. Each source gets its own
`JsonFetcher` with its own rate limit (aiolimiter), timeout and retry policy
(`bot.retry`): 429 and 5xx answers, timeouts and dropped connections are retried with
exponential backoff, honouring `Retry-After` (seconds) or a rate-limit reset time when
the server sends one. When the retries are spent the fetcher raises `SourceUnavailable`
with a one-line message naming the source, the host and path, and the last status.
Each 429 and each retry is counted per source (`bot.metrics`).
Query strings, headers and bodies never appear in messages or logs: they may carry tokens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import aiohttp
from aiolimiter import AsyncLimiter
from yarl import URL

from bot.errors import HttpError, SourceUnavailable
from bot.metrics import count_429, count_retry
from bot.retry import (
    RETRY_STATUSES,
    Retryable,
    RetryNotice,
    RetryPolicy,
    describe_failure,
    retry_after_seconds,
    retrying,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

Params = Mapping[str, str | int]
SAFETY = 1.05  # the client paces itself this much slower than the limit it is given


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `requests` per `seconds` (a leaky bucket: bursts up to `requests`)."""

    requests: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 timestamp from a JSON answer (`Z` allowed); None when absent or bad."""
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


class JsonFetcher:
    """GET/POST JSON for one source: `await fetcher.get("search", params)`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        source: str,
        base_url: str,
        rate: RateLimit,
        retry: RetryPolicy | None = None,
        user_agent: str = "hotpapers",
        notice: RetryNotice | None = None,
    ) -> None:
        self.session = session
        self.source = source
        self.notice = notice  # each retry as one line, for a progress display
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        # 5% under the documented rate, so network jitter never makes us exceed it.
        self.limiter = AsyncLimiter(rate.requests, rate.seconds * SAFETY)
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent
        self.requests = 0  # requests sent, retries included
        self.waited = 0.0  # seconds spent waiting on Retry-After/backoff

    def url(self, path: str) -> URL:
        return URL(self.base_url + path.lstrip("/"))

    def where(self, path: str) -> str:
        """`host/path` without the query: safe for messages."""
        url = self.url(path)
        return f"{url.host}{url.path}"

    async def get(
        self, path: str, params: Params | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        return await self._request("GET", path, params=params, headers=headers)

    async def post(
        self, path: str, json: Any, headers: Mapping[str, str] | None = None
    ) -> Any:
        return await self._request("POST", path, json=json, headers=headers)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        where = self.where(path)
        all_headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        all_headers.update(headers or {})
        timeout = aiohttp.ClientTimeout(total=self.retry.timeout)

        async def attempt() -> Any:
            async with self.limiter:
                self.requests += 1
                try:
                    async with self.session.request(
                        method, self.url(path), params=params, json=json,
                        headers=all_headers, timeout=timeout,
                    ) as resp:
                        if resp.status < 400:
                            try:
                                return await resp.json(content_type=None)
                            except ValueError:
                                raise Retryable(
                                    f"HTTP {resp.status} with a body that is not JSON") from None
                        if resp.status in RETRY_STATUSES:
                            if resp.status == 429:
                                count_429(self.source)
                            wait = retry_after_seconds(resp.headers)
                            if wait is not None and wait > self.retry.max_retry_after:
                                raise SourceUnavailable(
                                    f"{self.source}: {where} is rate limited for {wait:.0f} s "
                                    f"(more than {self.retry.max_retry_after:.0f} s); "
                                    "try again later")
                            raise Retryable(f"HTTP {resp.status}", wait)
                        raise HttpError(resp.status, resp.reason or "", await _body(resp))
                except aiohttp.ClientConnectorDNSError:
                    # No retry can fix a name that doesn't resolve (no network, a typo in
                    # the base URL): say so at once instead of after every backoff.
                    raise SourceUnavailable(
                        f"{self.source}: cannot resolve {where} (no network, or check "
                        f"HOTPAPERS_{self.source.upper()}_URL)") from None
                except (TimeoutError, aiohttp.ClientError) as exc:
                    raise Retryable(describe_failure(exc, self.retry.timeout)) from None

        def waited(_attempt: int, _attempts: int, _problem: str, wait: float) -> None:
            self.waited += wait
            count_retry(self.source)

        try:
            return await retrying(attempt, self.retry, what=f"{self.source} ({where})",
                                  on_retry=waited, notice=self.notice)
        except Retryable as exc:
            raise SourceUnavailable(
                f"{self.source}: {where} failed after {self.retry.attempts} tries "
                f"({exc.problem})") from None


async def _body(resp: aiohttp.ClientResponse) -> Any:
    try:
        return await resp.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return None


async def pages_ahead(
    first: Awaitable[T], follow: Callable[[T], Awaitable[T] | None], depth: int = 2
) -> AsyncIterator[T]:
    """Yield the pages of a cursor-paginated search while the next page is already on
    its way: `follow(page)` gives the request for the page after `page` (None after the
    last). A producer task fetches up to `depth` pages ahead, so reading a page overlaps
    the network latency of the next. Stopping early cancels the producer; a failure is
    raised where the page would have come."""
    queue: asyncio.Queue[tuple[T | None, BaseException | None]] = asyncio.Queue(depth)

    async def produce() -> None:
        request: Awaitable[T] | None = first
        try:
            while request is not None:
                page = await request
                await queue.put((page, None))
                request = follow(page)
        except Exception as exc:  # handed to the consumer, raised there
            await queue.put((None, exc))
            return
        await queue.put((None, None))

    producer = asyncio.create_task(produce())
    try:
        while True:
            page, error = await queue.get()
            if error is not None:
                raise error
            if page is None:
                return
            yield page
    finally:
        if not producer.done():
            producer.cancel()


class HttpSource:
    """What every social source shares: one paced, retrying JSON fetcher and a page size.

    A subclass sets `name`, `has_history`, and its defaults `BASE_URL`, `RATE` (the
    service's documented limit) and `PAGE_SIZE`; any of them can be overridden per
    instance (mirrors, tests, benchmarks)."""

    name: str
    has_history: bool
    BASE_URL: ClassVar[str]
    RATE: ClassVar[RateLimit]
    PAGE_SIZE: ClassVar[int]

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str | None = None,
        *,
        rate: RateLimit | None = None,
        retry: RetryPolicy | None = None,
        user_agent: str = "hotpapers",
        page_size: int | None = None,
        notice: RetryNotice | None = None,
    ) -> None:
        self.fetcher = JsonFetcher(session, self.name, base_url or self.BASE_URL,
                                   rate or self.RATE, retry, user_agent, notice)
        self.page_size = page_size or self.PAGE_SIZE
