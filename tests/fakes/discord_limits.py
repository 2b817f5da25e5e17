"""Rate limits and failures of the fake Discord: per-route buckets announced in
`X-RateLimit-*` headers, a global limit, 429s with the JSON body `{retry_after, global}`
and a `Via` header, and failures on command."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

Refusal = tuple[int, Any, dict[str, str]]


class LimitConfig(Protocol):
    route_limit: int
    route_window: float
    global_limit: int
    retry_after: float


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    count: int
    body: dict[str, Any]
    after: bool = False  # do the work first (stored), then fail
    drop: bool = False  # close the connection instead of answering


@dataclass
class _Bucket:
    limit: int
    window: float
    used: int = 0
    reset_at: float = 0.0


class Dropped(Exception):
    """Raised while serving a request: close the connection instead of answering."""


class RateLimits:
    """Reads its limits from `config` at each request (tests may change them)."""

    def __init__(self, config: LimitConfig) -> None:
        self.config = config
        self._buckets: dict[str, _Bucket] = {}
        self._global: list[float] = []
        self._failures: list[_Failure] = []
        self._forced_429: list[tuple[str, re.Pattern[str], int, bool]] = []
        self.global_refusals = 0  # 429s of the global limit (not the forced ones)

    def fail(self, method: str, path_regex: str, status: int, count: int, code: int,
             message: str, after: bool = False, drop: bool = False) -> None:
        body = {"message": message or f"{status}: fake failure", "code": code}
        self._failures.append(_Failure(method, re.compile(path_regex), status, count, body,
                                       after, drop))

    def force_429(self, method: str, path_regex: str, count: int, is_global: bool) -> None:
        self._forced_429.append((method, re.compile(path_regex), count, is_global))

    def check(self, method: str, path: str, template: str, m: re.Match[str]) -> Refusal | None:
        """A 429 or a commanded failure for this request, or None to serve it."""
        limited = self._limited(method, path, template, m)
        if limited is not None:
            return limited
        return self._failure(method, path, after=False)

    def late_failure(self, method: str, path: str) -> _Failure | None:
        """A failure to answer with after the request was served (the work is done)."""
        f = self._match(method, path, after=True)
        return f

    def _failure(self, method: str, path: str, *, after: bool) -> Refusal | None:
        f = self._match(method, path, after=after)
        if f is None:
            return None
        if f.drop:
            raise Dropped
        return f.status, f.body, {}

    def _match(self, method: str, path: str, *, after: bool) -> _Failure | None:
        for f in self._failures:
            if f.count > 0 and f.after == after and f.method == method and \
                    f.pattern.search(path):
                f.count -= 1
                return f
        return None

    def _key(self, method: str, template: str, m: re.Match[str]) -> str:
        major = m.groupdict().get("c") or m.groupdict().get("g") or m.groupdict().get("w") or ""
        return f"{method} {template} {major}"

    def _limited(self, method: str, path: str, template: str,
                    m: re.Match[str]) -> Refusal | None:
        now = time.monotonic()
        via = {"Via": "1.1 google", "Retry-After": "1"}
        for i, (fm, pat, count, is_global) in enumerate(self._forced_429):
            if count > 0 and fm == method and pat.search(path):
                self._forced_429[i] = (fm, pat, count - 1, is_global)
                headers = {**via, "X-RateLimit-Scope": "global" if is_global else "user"}
                if is_global:
                    headers["X-RateLimit-Global"] = "true"
                else:
                    headers.update(self.headers(method, template, m, remaining=0))
                return 429, {"message": "You are being rate limited.",
                             "retry_after": self.config.retry_after, "global": is_global}, headers
        self._global = [t for t in self._global if now - t < 1.0]
        if len(self._global) >= self.config.global_limit:
            self.global_refusals += 1
            retry = max(0.001, 1.0 - (now - self._global[0]))
            return 429, {"message": "You are being rate limited.", "retry_after": retry,
                         "global": True}, {**via, "X-RateLimit-Global": "true",
                                           "X-RateLimit-Scope": "global"}
        fresh = _Bucket(self.config.route_limit, self.config.route_window)
        bucket = self._buckets.setdefault(self._key(method, template, m), fresh)
        if now >= bucket.reset_at:
            bucket.used, bucket.reset_at = 0, now + bucket.window
        if bucket.used >= bucket.limit:
            retry = bucket.reset_at - now
            headers = {**via, "X-RateLimit-Scope": "user",
                       **self.headers(method, template, m, remaining=0)}
            return 429, {"message": "You are being rate limited.", "retry_after": retry,
                         "global": False}, headers
        bucket.used += 1
        self._global.append(now)
        return None

    def headers(self, method: str, template: str, m: re.Match[str],
                        remaining: int | None = None) -> dict[str, str]:
        key = self._key(method, template, m)
        b = self._buckets.get(key) or _Bucket(self.config.route_limit, self.config.route_window)
        now = time.monotonic()
        # Rounded UP to the millisecond: a client that waits exactly this long must not
        # arrive before the bucket resets (Discord's own headers never under-state it).
        reset_after = math.ceil(max(0.0, b.reset_at - now) * 1000) / 1000
        left = b.limit - b.used if remaining is None else remaining
        return {
            "X-RateLimit-Limit": str(b.limit),
            "X-RateLimit-Remaining": str(max(0, left)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": f"{abs(hash(method + template)):x}",
        }
