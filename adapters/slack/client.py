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
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import (
    ConfigurationError,
    DeliveryError,
    PermanentDeliveryError,
    PlatformUnavailable,
    TransientDeliveryError,
)
from bot.retry import Retryable, RetryPolicy, describe_failure, retrying
from bot.settings import Settings

PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "channel_is_archived",
    "account_inactive", "invalid_auth", "not_authed", "token_revoked", "token_expired",
    "missing_scope", "restricted_action", "team_access_not_granted", "ekm_access_denied",
})
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired",
                         "account_inactive"})
RETRY_BACKOFF = 0.5  # seconds, doubled per retry of a 5xx or a dropped connection

T = TypeVar("T")


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
    have posted anything: 429s (honouring `Retry-After`) and connections that were never
    established. A 5xx or a dropped connection may have posted the message, so it is
    raised (transient) and settled by reading the key back (`find_message`)."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=RETRY_BACKOFF)
    return AsyncWebClient(
        token=token,
        base_url=api_base_url(settings),
        session=session,
        timeout=timeout,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff,
                                             error_types=[aiohttp.ClientConnectorError]),
            AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
        ],
    )


def slack_error(exc: SlackApiError) -> str:
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{exc.response.status_code}"


def delivery_error(exc: Exception) -> DeliveryError:
    """The delivery error a Slack failure maps to (one line, never the token)."""
    if isinstance(exc, SlackApiError):
        code = slack_error(exc)
        if code in PERMANENT_ERRORS:
            return PermanentDeliveryError(f"slack: {code}")
        return TransientDeliveryError(f"slack: {code} (HTTP {exc.response.status_code})")
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return TransientDeliveryError("slack: timed out")
    return TransientDeliveryError(f"slack: {type(exc).__name__}: {str(exc)[:200]}")


async def guarded(call: Awaitable[T]) -> T:
    """Await a Slack call, turning its failures into delivery errors."""
    try:
        return await call
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        raise delivery_error(exc) from None


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
