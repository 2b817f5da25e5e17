"""The Slack Web API client every Slack module uses (slack_sdk's `AsyncWebClient` on
`SLACK_API_URL`), and how its failures become the chat port's errors: one line each,
never a token."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import (
    ConfigurationError,
    DeliveryError,
    InDoubtDeliveryError,
    PermanentDeliveryError,
    PlatformUnavailable,
    TransientDeliveryError,
)
from bot.metrics import count_429
from bot.retry import Retryable, RetryPolicy, describe_failure, retrying
from bot.settings import Settings

PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "channel_is_archived",
    "account_inactive", "invalid_auth", "not_authed", "token_revoked", "token_expired",
    "missing_scope", "restricted_action", "team_access_not_granted", "ekm_access_denied",
})
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired",
                         "account_inactive"})
# Answers to a post after which the message may exist all the same ("It's possible some
# aspect of the operation succeeded before the error was raised": Slack's docs).
IN_DOUBT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable",
                             "request_timeout"})
RETRY_BACKOFF = 0.5  # seconds, doubled per retry of a 5xx or a dropped connection

T = TypeVar("T")


class CountedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (waits `Retry-After`, then the client retries), counting
    every 429 answer it is shown (`hotpapers_http_429_total{platform="slack"}`), the
    ones after its last retry too. The client asks its handlers in order after each
    answer; the connection handler before this one never claims an answer (only
    errors), so every answer reaches this one."""

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None,
                              error: Exception | None = None) -> bool:
        if error is None and response is not None and response.status_code == 429:
            count_429("slack")
        return await super().can_retry_async(state=state, request=request,
                                             response=response, error=error)


def api_base_url(settings: Settings) -> str:
    url = settings.slack_api_url
    return url if url.endswith("/") else url + "/"


def make_client(
    settings: Settings,
    token: str | None = None,
    *,
    session: aiohttp.ClientSession | None = None,
    max_retries: int = 5,
    timeout: int = 30,
) -> AsyncWebClient:
    """The real slack_sdk client on `settings.slack_api_url`. It retries only what cannot
    have posted anything: 429s (Slack accepted nothing; `Retry-After` honoured) and
    connections that were never established (`ClientConnectorError`). Nothing else: a
    5xx, a timeout or a dropped connection may have posted the message, so it is raised
    (in doubt) for the core's delivery loop, which reads the key back before any resend.
    These two handlers replace slack_sdk's defaults (`retry_handlers=` is the whole list)."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=RETRY_BACKOFF)
    return AsyncWebClient(
        token=token,
        base_url=api_base_url(settings),
        session=session,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff,
                                             error_types=[aiohttp.ClientConnectorError]),
            CountedRateLimitRetryHandler(max_retry_count=max_retries),
        ],
    )


def slack_error(exc: SlackApiError) -> str:
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{exc.response.status_code}"


def delivery_error(exc: Exception, *, posting: bool = False) -> DeliveryError:
    """The delivery error a Slack failure maps to (one line, never the token). With
    `posting`, failures after which the message may exist are `InDoubtDeliveryError`;
    refusals and connections never made are plain transient (nothing was posted)."""
    doubt = InDoubtDeliveryError if posting else TransientDeliveryError
    if isinstance(exc, SlackApiError):
        code = slack_error(exc)
        status = exc.response.status_code
        if code in PERMANENT_ERRORS:
            return PermanentDeliveryError(f"slack: {code}")
        if status >= 500 or code in IN_DOUBT_ERRORS:
            return doubt(f"slack: {code} (HTTP {status})")
        return TransientDeliveryError(f"slack: {code} (HTTP {status})")
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return doubt("slack: timed out")
    if isinstance(exc, aiohttp.ClientConnectorError):  # never connected: nothing sent
        return TransientDeliveryError(f"slack: cannot connect ({type(exc).__name__})")
    return doubt(f"slack: {type(exc).__name__}: {str(exc)[:200]}")


async def guarded(call: Awaitable[T], *, posting: bool = False) -> T:
    """Await a Slack call, turning its failures into delivery errors (`posting`: the
    call posts a message; see `delivery_error`)."""
    try:
        return await call
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        raise delivery_error(exc, posting=posting) from None


READ_RETRY = RetryPolicy(attempts=3, backoff=0.5, max_backoff=4.0, max_retry_after=30.0)


async def read(call: Callable[[], Awaitable[T]], what: str,
               policy: RetryPolicy = READ_RETRY) -> T:
    """A Slack call that changes nothing (auth.test, users.info, history ...), retried
    through `bot.retry` when Slack answers 5xx or the connection fails. (Posting is
    never retried here: the publisher's ledger decides.) Other failures are raised."""

    async def attempt() -> T:
        try:
            return await call()
        except SlackApiError as exc:
            if exc.response.status_code >= 500:
                raise Retryable(f"HTTP {exc.response.status_code}") from exc
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Retryable(describe_failure(exc)) from exc

    try:
        return await retrying(attempt, policy, what=f"slack {what}")
    except Retryable as exc:
        cause = exc.__cause__
        raise cause if isinstance(cause, Exception) else exc from None


async def check_token(client: AsyncWebClient, name: str = "SLACK_BOT_TOKEN") -> dict[str, Any]:
    """`auth.test`: the bot's identity, or a one-line ConfigurationError."""
    try:
        resp = await read(client.auth_test, "auth.test")
    except SlackApiError as exc:
        code = slack_error(exc)
        if code in AUTH_ERRORS:
            raise ConfigurationError(
                f"{name} was rejected by Slack ({code}): it is revoked or wrong; "
                "set a valid token (xoxb-...) from your Slack app's OAuth page"
            ) from None
        if exc.response.status_code >= 500 or code == "ratelimited":
            raise PlatformUnavailable(f"cannot check {name} with Slack now ({code}); "
                                      "trying again later") from None
        raise ConfigurationError(f"cannot check {name} with Slack ({code})") from None
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        raise PlatformUnavailable(
            f"cannot reach the Slack API at the configured SLACK_API_URL "
            f"({describe_failure(exc)})") from None
    return dict(resp.data) if isinstance(resp.data, dict) else {}
