"""Real local HTTP servers speaking the four social APIs, over a generated `Corpus`.

One aiohttp app on 127.0.0.1 (random free port) serves, under a prefix per source:

- `/hn/api/v1/search_by_date`  Hacker News Algolia (numericFilters, hitsPerPage <= 1000,
  page, Algolia's 1,000-hit pagination cap);
- `/hf/api/daily_papers`  Hugging Face (`date`, `p`, `limit` <= 100);
- `/bsky/xrpc/com.atproto.server.createSession`, `/bsky/xrpc/app.bsky.feed.searchPosts`
  Bluesky (app-password session, `q`, `domain`, `since`, `until`, `sort`, `limit` <= 100,
  `cursor`, `ExpiredToken` after `bluesky_token_uses` requests);
- `/x/2/tweets/search/recent`  X API v2 (bearer token, `start_time`/`end_time` within
  the last 7 days of `now`, `max_results` 10..100, `next_token`).

Each source has a token-bucket rate limit (`limits`) answered with 429 and the
service's own headers (X: `x-rate-limit-reset`, Bluesky: `ratelimit-reset`, others:
`Retry-After`, in fractions for sub-second test limits), a per-request `latency`,
failures on command (`fail`: statuses, `hang`: no answer for a while), and a request log.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.social_corpus import Corpus, FakePost
from tests.fakes.social_handlers import ROUTES

# The services' documented limits: (requests, seconds).
DOCUMENTED_LIMITS: dict[str, tuple[float, float]] = {
    "hn": (10_000, 3600),  # Algolia: 10,000 requests per hour per IP
    "hf": (500, 300),  # Hugging Face Hub, anonymous API calls per 5 minutes
    "bluesky": (3000, 300),  # Bluesky AppView: 3,000 per 5 minutes per IP
    "x": (450, 900),  # X recent search: 450 per 15 minutes per app
}
PAGE_SIZES = {"hn": 1000, "hf": 100, "bluesky": 100, "x": 100}


@dataclass(frozen=True, slots=True)
class Logged:
    source: str
    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float  # time.monotonic() when answered
    user_agent: str = ""


@dataclass(slots=True)
class Bucket:
    capacity: float
    per_second: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self) -> float:
        """0 when a token was taken, else the seconds until one is available."""
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens, self.stamp = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass(slots=True)
class Failure:
    status: int
    retry_after: str | None = None
    hang: float = 0.0
    text: str | None = None  # a body that is not JSON


@dataclass
class SocialServers:
    corpus: Corpus = field(default_factory=Corpus)
    latency: float = 0.0
    limits: dict[str, tuple[float, float] | None] = field(default_factory=dict)
    now: dt.datetime | None = None  # X's "now" for its 7-day window (None: real time)
    x_token: str = "x-secret-bearer"
    bluesky_handle: str = "bot.bsky.social"
    bluesky_password: str = "app-pass-word-secret"
    bluesky_token_uses: int = 10_000  # requests before an access token expires
    hn_pagination_cap: int = 1000
    log: list[Logged] = field(default_factory=list)
    base_url: str = ""
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _sorted: dict[tuple[str, str | None], tuple[list[FakePost], list[float]]] = field(
        default_factory=dict)
    _runner: web.AppRunner | None = None
    sessions: dict[str, int] = field(default_factory=dict)  # access token -> uses

    # -- control -------------------------------------------------------------------
    def fail(self, source: str, status: int = 500, times: int = 1,
             retry_after: str | None = None, text: str | None = None) -> None:
        """Answer the next `times` requests of `source` with `status` (and `text` as a
        body that is not JSON, when given)."""
        self._failures.setdefault(source, []).extend(
            Failure(status, retry_after, text=text) for _ in range(times))

    def hang(self, source: str, seconds: float, times: int = 1) -> None:
        """Sit on the next `times` requests of `source` for `seconds` before answering."""
        self._failures.setdefault(source, []).extend(
            Failure(0, hang=seconds) for _ in range(times))

    def url(self, source: str) -> str:
        prefix = {"hn": "hn/api/v1/", "hf": "hf/api/", "bluesky": "bsky/xrpc/", "x": "x/2/"}
        return f"{self.base_url}/{prefix[source]}"

    def requests(self, source: str, path_end: str = "") -> list[Logged]:
        return [e for e in self.log if e.source == source and e.path.endswith(path_end)]

    def min_requests(self, source: str, start: dt.datetime, end: dt.datetime) -> int:
        """The fewest requests pagination allows for the window (HF: per day; Bluesky:
        plus the session)."""
        if source == "hf":
            from tests.fakes.social_corpus import days_touched

            # No total in the answer: a day ends with a short (maybe empty) page.
            return sum(sum(1 for p in self.corpus.of("hf") if p.day == d) // PAGE_SIZES["hf"] + 1
                       for d in days_touched(start, end))
        n = len(self.corpus.in_window(source, start, end))
        return max(1, math.ceil(n / PAGE_SIZES[source])) + (source == "bluesky")

    def between(self, source: str, lo: dt.datetime | None, hi: dt.datetime | None,
                domain: str | None = None) -> list[FakePost]:
        """The posts of `source` posted in [lo, hi), newest first (cached sort + bisect,
        so a page costs little even over a big corpus)."""
        key = (source, domain)
        if key not in self._sorted:
            posts = self.corpus.of(source)
            if domain:
                posts = [p for p in posts if any(f"://{domain}/" in link or f".{domain}/" in link
                                                 for link in p.links)]
            ordered = sorted(posts, key=lambda p: (p.created, p.post_id), reverse=True)
            self._sorted[key] = (ordered, [-p.created.timestamp() for p in ordered])
        ordered, keys = self._sorted[key]
        first = bisect.bisect_right(keys, -hi.timestamp()) if hi else 0
        last = bisect.bisect_right(keys, -lo.timestamp()) if lo else len(ordered)
        return ordered[first:last]

    def current_now(self) -> dt.datetime:
        return self.now or dt.datetime.now(dt.UTC)

    # -- serving -------------------------------------------------------------------
    @asynccontextmanager
    async def running(self) -> AsyncIterator[SocialServers]:
        app = web.Application(middlewares=[self._middleware])
        for method, path, source, handler in ROUTES:
            app.router.add_route(method, path, _bind(handler, self),
                                 name=f"{source}:{handler.__name__}")
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            await self._runner.cleanup()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = request.match_info.route.name or ""
        source = route.split(":")[0]
        response = await self._answer(request, handler, source)
        self.log.append(Logged(source, request.method, request.path, dict(request.query),
                               response.status, time.monotonic(),
                               request.headers.get("User-Agent", "")))
        return response

    async def _answer(self, request: web.Request, handler: Any, source: str) -> web.StreamResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        pending = self._failures.get(source)
        if pending:
            failure = pending.pop(0)
            if failure.hang:
                await asyncio.sleep(failure.hang)
            else:
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                if failure.text is not None:
                    return web.Response(text=failure.text, status=failure.status,
                                        headers=headers, content_type="text/html")
                return web.json_response({"error": "failure on command"},
                                         status=failure.status, headers=headers)
        limit = self.limits.get(source)
        if limit is not None:
            bucket = self._buckets.setdefault(source, Bucket(limit[0], limit[0] / limit[1]))
            wait = bucket.take()
            if wait > 0:
                return web.json_response({"error": "RateLimitExceeded"}, status=429,
                                         headers=_limit_headers(source, limit, wait))
        response: web.StreamResponse = await handler(request)
        return response


def _limit_headers(source: str, limit: tuple[float, float], wait: float) -> dict[str, str]:
    """How each service says when to come back: X and Bluesky send the epoch second the
    window resets (`x-rate-limit-reset`, `ratelimit-reset`), the others `Retry-After`
    (whole seconds; fractions for the sub-second limits of fast tests)."""
    reset = str(math.ceil(time.time() + wait))
    if source == "x":
        return {"x-rate-limit-limit": str(int(limit[0])), "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": reset}
    if source == "bluesky":
        return {"ratelimit-limit": str(int(limit[0])), "ratelimit-remaining": "0",
                "ratelimit-reset": reset, "ratelimit-policy": f"{int(limit[0])};w={limit[1]:g}"}
    return {"Retry-After": str(math.ceil(wait)) if limit[1] >= 1 else f"{wait:.3f}"}


def _bind(handler: Any, servers: SocialServers) -> Any:
    async def bound(request: web.Request) -> web.StreamResponse:
        result: web.StreamResponse = await handler(servers, request)
        return result
    return bound


def post_by_url(corpus: Corpus, source: str) -> dict[str, FakePost]:
    return {p.url: p for p in corpus.of(source)}


# -- helpers for tests and benchmarks ---------------------------------------------------
def day_window(day: dt.date, hours: float = 24.0) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)
    return start, start + dt.timedelta(hours=hours)


def paper_ids_for(day: dt.date, n: int) -> list[str]:
    """`n` distinct, valid new-style ids of `day`'s month (`YYMM.00001` ...)."""
    prefix = f"{day.year % 100:02d}{day.month:02d}"
    return [f"{prefix}.{i:05d}" for i in range(1, n + 1)]


async def collect(source: Any, start: dt.datetime, end: dt.datetime) -> list[Any]:
    """Every mention a `SignalSource` yields for the window [start, end)."""
    from bot.signals.base import TimeWindow

    return [m async for m in source.mentions(TimeWindow(start.date(), start, end))]
