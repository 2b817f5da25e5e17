"""What every Discord module shares: where discord.py sends its requests, the global
REST pace, no resending behind the ledger's back, logging in, and how discord.py's
errors become the chat port's errors.

discord.py retries a request itself when Discord answers 500, 502, 504 or 524 (the bot
client, `HTTPClient.request`) or any 5xx (webhooks), with the same body. For a message
that is a second copy whenever the first one was stored before the error, unless
Discord honours `enforce_nonce` (only for a few minutes, only where it does). So every
POST goes through `no_blind_resend`, an aiohttp client middleware that turns a 5xx
answer or a connection lost after the request went out into `SentInDoubt`, which
discord.py does not retry: the core's delivery loop reads the channel back instead.
Retries that cannot duplicate stay: 429s (Discord accepted nothing) and GETs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import yarl
from aiohttp.client_middlewares import ClientHandlerType
from aiolimiter import AsyncLimiter
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.errors import (
    ConfigurationError,
    DeliveryError,
    InDoubtDeliveryError,
    PermanentDeliveryError,
    PlatformUnavailable,
    TransientDeliveryError,
)
from bot.metrics import count_429
from bot.retry import describe_failure
from bot.settings import Settings


class SentInDoubt(Exception):
    """A POST whose answer was a 5xx or never came: the message may exist. Not an
    OSError and not an aiohttp error, so no discord.py retry loop catches it."""


async def no_blind_resend(request: aiohttp.ClientRequest, handler: ClientHandlerType
                          ) -> aiohttp.ClientResponse:
    """aiohttp client middleware: a POST answered 5xx, or cut off after it was sent,
    raises SentInDoubt instead of reaching discord.py's retry loops."""
    if request.method != "POST":
        return await handler(request)
    try:
        response = await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # never connected: nothing was sent
    except (aiohttp.ClientError, OSError) as exc:  # TimeoutError is an OSError
        raise SentInDoubt(f"{type(exc).__name__} after the request was sent") from exc
    if response.status >= 500:
        response.release()
        raise SentInDoubt(f"HTTP {response.status} {response.reason or ''}".strip())
    return response


async def count_rate_limits(request: aiohttp.ClientRequest, handler: ClientHandlerType
                            ) -> aiohttp.ClientResponse:
    """aiohttp client middleware: every 429 Discord answers is counted
    (`hotpapers_http_429_total{platform="discord"}`), whether discord.py then waits it
    out and retries (a route bucket, the global limit) or gives up."""
    response = await handler(request)
    if response.status == 429:
        count_429("discord")
    return response


def point_discord_at(settings: Settings) -> None:
    """Send discord.py's REST calls to `DISCORD_API_URL` and its gateway to
    `DISCORD_GATEWAY_URL` (process-wide: discord.py keeps both on classes)."""
    Route.BASE = settings.discord_api_url.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def pace_globally(client: discord.Client, rate: float) -> None:
    """Keep `client`'s REST calls under `rate` requests/s in all.

    discord.py follows the per-route buckets Discord announces and waits out a global 429,
    but has no limit of its own on the global rate (50 requests/s per bot): a fan-out to
    hundreds of channels would run into global 429s over and over. Wrapping the one
    method every REST call goes through (`HTTPClient.request`) paces them all, and
    puts `no_blind_resend` on every POST (`rate` <= 0: no pace, the guard all the same)
    and `count_rate_limits` on every request.
    """
    if getattr(client.http, "_hotpapers_paced", False):
        return
    # Bursts of at most a few requests: a burst on top of the full rate would overrun
    # a sliding one-second window.
    limiter = AsyncLimiter(max(1.0, rate / 25), 0.04) if rate > 0 else None
    request = client.http.request

    async def paced(route: Route, **kwargs: Any) -> Any:
        if limiter is not None:
            async with limiter:
                pass
        # HTTPClient.request hands unknown kwargs to aiohttp: the outer middleware first
        kwargs["middlewares"] = ((count_rate_limits, no_blind_resend) if route.method == "POST"
                                 else (count_rate_limits,))
        return await request(route, **kwargs)

    client.http.request = paced  # type: ignore[method-assign]
    client.http._hotpapers_paced = True  # type: ignore[attr-defined]


@asynccontextmanager
async def delivery_errors(what: str, *, sending: bool = False) -> AsyncIterator[None]:
    """discord.py / network errors -> the adapter's delivery errors (one line each).
    `sending`: a message is being created, so a failure after the request went out is
    `InDoubtDeliveryError` (it may exist)."""
    doubt = InDoubtDeliveryError if sending else TransientDeliveryError
    try:
        yield
    except SentInDoubt as exc:
        raise doubt(f"{what}: {exc}") from exc
    except (discord.Forbidden, discord.NotFound) as exc:
        raise PermanentDeliveryError(f"{what}: {_describe(exc)}") from exc
    except discord.DiscordServerError as exc:
        raise doubt(f"{what}: {_describe(exc)}") from exc
    except discord.HTTPException as exc:
        if exc.status == 401:
            raise PermanentDeliveryError(f"{what}: the bot token was rejected (401)") from exc
        if exc.status == 429:  # a 429 discord.py did not absorb (for example a ban)
            raise TransientDeliveryError(f"{what}: rate limited ({exc.text})") from exc
        raise DeliveryError(f"{what}: {_describe(exc)}") from exc
    except aiohttp.ClientConnectorError as exc:  # never connected: nothing was sent
        raise TransientDeliveryError(f"{what}: {type(exc).__name__} {exc}".strip()) from exc
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise doubt(f"{what}: {type(exc).__name__} {exc}".strip()) from exc


def _describe(exc: discord.HTTPException) -> str:
    return f"HTTP {exc.status} {exc.text or exc.__class__.__name__} (code {exc.code})"


async def login(settings: Settings, client: discord.Client) -> None:
    """Log `client` in over REST; a missing or rejected token is a one-line
    ConfigurationError (the token itself is never shown)."""
    if settings.discord_token is None:
        raise ConfigurationError(
            "DISCORD_TOKEN is not set; put the bot token from the Discord developer portal "
            "in DISCORD_TOKEN (or use DISCORD_WEBHOOK_URL and --to webhook:default)")
    point_discord_at(settings)
    pace_globally(client, settings.discord_global_rate)
    try:
        await client.login(settings.discord_token.get_secret_value())
    except discord.LoginFailure:
        await client.close()
        raise ConfigurationError(
            "DISCORD_TOKEN was rejected by Discord (401 Unauthorized); reset the token in the "
            "developer portal (Bot -> Reset Token) and set DISCORD_TOKEN again") from None
    except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
        await client.close()
        status = getattr(exc, "status", None)
        if isinstance(exc, discord.HTTPException) and status is not None and status < 500:
            raise ConfigurationError(
                f"Discord refused the login (HTTP {status}); check DISCORD_TOKEN and "
                "DISCORD_API_URL") from None
        raise PlatformUnavailable(
            f"cannot reach Discord at {settings.discord_api_url} "
            f"({describe_failure(exc)}); check DISCORD_API_URL and the network") from None
