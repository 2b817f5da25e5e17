"""Polite access to arXiv: one request at a time, at most one every `min_interval`
seconds (arXiv's terms: 3 s, one connection), a User-Agent, retries with backoff.

Every arXiv request of a process goes through one `ArxivPacer` (RSS, API and OAI-PMH
are all arXiv). A 429/503 with `Retry-After` waits that long (at least the interval);
other 5xx and network errors back off exponentially. (Spurious empty pages are
recognised by the callers, which parse the page, and fetched again.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

import aiohttp

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ArxivUnavailable(Exception):
    """arXiv could not answer (after retries); the message is one line for the user."""


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


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
        self._lock = asyncio.Lock()
        self._next_at = 0.0  # monotonic time before which no request may start
        self.requests = 0  # requests sent, retries included

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
        problem = "no answer"
        delay = self.backoff
        async with self._lock:  # one request (one connection) at a time
            for attempt in range(1, self.attempts + 1):
                await self._wait_turn()
                self.requests += 1
                wait = 0.0
                try:
                    async with self.session.request(
                        method, url, params=params, data=data, timeout=self.timeout,
                        headers={"User-Agent": self.user_agent},
                    ) as resp:
                        body = await resp.text()
                        status = resp.status
                        retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
                except aiohttp.ClientConnectorDNSError:
                    # No retry can fix a name that doesn't resolve: say so at once.
                    raise ArxivUnavailable(
                        f"{what} cannot be reached: its host name doesn't resolve "
                        "(no network, or check HOTPAPERS_ARXIV_*_URL)") from None
                except (aiohttp.ClientError, TimeoutError) as exc:
                    problem = f"{type(exc).__name__}"
                    status, body, retry_after = 0, "", None
                finally:
                    self._next_at = time.monotonic() + self.min_interval
                if status == 200:
                    return body
                if status in RETRY_STATUSES or status == 0:
                    problem = problem if status == 0 else f"HTTP {status}"
                    if retry_after is not None:
                        wait = min(retry_after, self.max_retry_after)
                    else:
                        wait, delay = delay, delay * 2
                else:
                    raise ArxivUnavailable(f"{what} refused the request (HTTP {status})")
                log.info("%s: %s (attempt %d/%d)", what, problem, attempt, self.attempts)
                if attempt < self.attempts:
                    self._next_at = max(self._next_at, time.monotonic() + wait)
        raise ArxivUnavailable(
            f"{what} is not answering ({problem} after {self.attempts} attempts); "
            "try again later"
        )
