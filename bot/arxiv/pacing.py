"""Polite access to arXiv: one request at a time, at most one every `min_interval`
seconds (arXiv's terms: 3 s, one connection), a User-Agent, retries with backoff.

Every arXiv request of a process goes through one `ArxivPacer` (RSS, API and OAI-PMH
are all arXiv). Retries go through `bot.retry`: a 429/503 with `Retry-After` waits that
long (at least the interval); other 5xx and network errors back off exponentially.
(Spurious empty pages are recognised by the callers, which parse the page, and fetched
again.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import aiohttp

from bot.errors import ArxivUnavailable
from bot.metrics import count_429, count_retry
from bot.retry import (
    RETRY_STATUSES,
    OnRetry,
    Retryable,
    RetryNotice,
    RetryPolicy,
    describe_failure,
    retry_after_seconds,
    retrying,
)

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0  # seconds; the backoff doubles from the interval up to this


class ArxivPacer:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        min_interval: float = 3.0,
        user_agent: str = "hotpapers",
        attempts: int = 5,
        backoff: float | None = None,
        timeout: float = 60.0,
        max_retry_after: float = 120.0,
        on_retry: OnRetry | None = None,
        notice: RetryNotice | None = None,
    ) -> None:
        self.session = session
        self.min_interval = min_interval
        self.user_agent = user_agent
        self.attempts = attempts
        # First backoff after a failure; doubles each time. Scales with the interval so
        # tests with a short interval also retry quickly.
        self.backoff = backoff if backoff is not None else max(min_interval, 0.01)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_retry_after = max_retry_after
        self.policy = RetryPolicy(attempts=attempts, backoff=self.backoff,
                                  max_backoff=MAX_BACKOFF, max_retry_after=max_retry_after,
                                  timeout=timeout, jitter=False)
        self.on_retry = on_retry
        self.notice = notice  # each retry as one line, for a progress display
        self._lock = asyncio.Lock()
        self._next_at = 0.0  # monotonic time before which no request may start
        self.requests = 0  # requests sent, retries included

    def _retried(self, attempt: int, attempts: int, problem: str, wait: float) -> None:
        count_retry("arxiv")
        if self.on_retry is not None:
            self.on_retry(attempt, attempts, problem, wait)

    async def _wait_turn(self) -> None:
        delay = self._next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        what: str = "arXiv",
    ) -> str:
        """The body of a successful response. Raises ArxivUnavailable after the retries."""

        async def attempt() -> str:
            await self._wait_turn()
            self.requests += 1
            try:
                async with self.session.request(
                    method, url, params=params, data=data, timeout=self.timeout,
                    headers={"User-Agent": self.user_agent},
                ) as resp:
                    body = await resp.text()
                    status, headers = resp.status, dict(resp.headers)
            except aiohttp.ClientConnectorDNSError:
                # No retry can fix a name that doesn't resolve: say so at once.
                raise ArxivUnavailable(
                    f"{what} cannot be reached: its host name doesn't resolve "
                    "(no network, or check HOTPAPERS_ARXIV_*_URL)") from None
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise Retryable(describe_failure(exc, self.timeout.total)) from None
            finally:
                self._next_at = time.monotonic() + self.min_interval
            if status == 200:
                return body
            if status in RETRY_STATUSES:
                if status == 429:
                    count_429("arxiv")
                raise Retryable(f"HTTP {status}", retry_after_seconds(headers))
            raise ArxivUnavailable(f"{what} refused the request (HTTP {status})")

        async with self._lock:  # one request (one connection) at a time
            try:
                return await retrying(attempt, self.policy, what=what, on_retry=self._retried,
                                      notice=self.notice)
            except Retryable as exc:
                raise ArxivUnavailable(
                    f"{what} is not answering ({exc.problem} after {self.attempts} "
                    "attempts); try again later") from None
