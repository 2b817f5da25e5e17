"""One way to retry an outbound HTTP call, on tenacity.

Callers (the arXiv pacer, the social sources' JSON fetcher, adapters' calls outside the
delivery ledger) write ONE attempt and raise `Retryable` when another attempt may help:
a 429 or 5xx answer, a timeout, a dropped connection. `retrying` runs the attempts:

- the wait before the next one is what the server asked for (`Retry-After` in seconds,
  or the epoch second a rate-limit window resets), capped at `max_retry_after`, or else
  exponential backoff from `backoff` (doubling, capped at `max_backoff`, optionally
  jittered);
- each retry is logged in one line that says what happened and what comes next
  ("arXiv API: attempt 3 of 5 failed (HTTP 503); next try in 16 s"), reported to
  `on_retry` (the numbers) and that same line to `notice` (for a progress display, so
  a long retry never looks like a hang);
- after the last attempt the last `Retryable` is raised; the caller turns it into its
  own one-line error (`ArxivUnavailable`, `SourceUnavailable`, ...).

Anything other than `Retryable` is not retried. Query strings, headers and bodies never
appear in the messages: they may carry tokens.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

log = logging.getLogger("hotpapers.retry")
T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Retryable(Exception):
    """One failed attempt another attempt may fix. `problem` is one line (no secrets),
    `retry_after` the wait the server asked for (seconds), when it said."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5  # total tries
    backoff: float = 1.0  # first wait without Retry-After; doubles each try
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # a server's wait is capped at this
    timeout: float = 30.0  # total seconds per try (applied by the caller)
    jitter: bool = True  # spread backoff waits over 0.75x..1.25x


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `Retry-After` (seconds; fractions accepted) or the epoch
    second a window resets (X's `x-rate-limit-reset`, Bluesky's `ratelimit-reset`);
    None when none is usable (an HTTP date falls back to our own backoff)."""
    value = headers.get("Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            return None
    for name in ("x-rate-limit-reset", "ratelimit-reset"):
        reset = headers.get(name)
        if reset is not None and reset.isdigit():
            return max(0.0, int(reset) - time.time())
    return None


def next_wait(policy: RetryPolicy, attempt: int, error: BaseException | None) -> float:
    """The wait after failed attempt number `attempt` (1-based)."""
    asked = error.retry_after if isinstance(error, Retryable) else None
    if asked is not None:
        return min(asked, policy.max_retry_after)
    wait: float = min(policy.max_backoff, policy.backoff * 2.0 ** (attempt - 1))
    if policy.jitter:
        wait *= 0.75 + random.random() / 2
    return wait


# on_retry(attempt, attempts, problem, wait): a failed attempt and the wait before the next
OnRetry = Callable[[int, int, str, float], None]
# notice(line): the same, as the one line that is logged
RetryNotice = Callable[[str], None]


def retry_line(what: str, attempt: int, attempts: int, problem: str, wait: float) -> str:
    """`arXiv API: attempt 3 of 5 failed (HTTP 503); next try in 16 s`."""
    return (f"{what}: attempt {attempt} of {attempts} failed ({problem}); "
            f"next try in {_seconds(wait)}")


async def retrying(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    what: str,
    on_retry: OnRetry | None = None,
    notice: RetryNotice | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """`await call()` until it returns, retrying `Retryable` failures by `policy`.
    The first attempt runs without tenacity's machinery (most calls succeed at once:
    a fan-out of 31,000 messages would otherwise pay for it 31,000 times)."""

    def report(attempt: int, error: BaseException | None, pause: float) -> None:
        problem = error.problem if isinstance(error, Retryable) else type(error).__name__
        line = retry_line(what, attempt, policy.attempts, problem, pause)
        log.info("%s", line)
        if on_retry is not None:
            on_retry(attempt, policy.attempts, problem, pause)
        if notice is not None:
            notice(line)

    try:
        return await call()
    except Retryable as first:
        if policy.attempts <= 1:
            raise
        pause = next_wait(policy, 1, first)
        report(1, first, pause)
    await sleep(pause)

    # tenacity counts the remaining attempts from 1: ours are one further on
    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return next_wait(policy, state.attempt_number + 1, error)

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        report(state.attempt_number + 1, error, state.upcoming_sleep)

    retryer = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts - 1),
        wait=wait,
        retry=retry_if_exception_type(Retryable),
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )

    async def attempt() -> T:  # tenacity awaits only what it sees is a coroutine function
        return await call()

    return await retryer(attempt)


def describe_failure(exc: BaseException, timeout: float | None = None) -> str:
    """A failed request in a few words, never its URL or headers."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s" if timeout else "timed out"
    if (isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower()
            or isinstance(getattr(exc, "os_error", None), ConnectionRefusedError)
            or getattr(exc, "errno", None) == errno.ECONNREFUSED):
        return "connection refused"
    if isinstance(exc, OSError | ConnectionError) or "connect" in type(exc).__name__.lower():
        return "connection failed"
    return type(exc).__name__


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.2g} s"
