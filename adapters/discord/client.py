"""What every Discord module shares: where discord.py sends its requests, the global
REST pace, logging in, and how discord.py's errors become the chat port's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import discord
import yarl
from aiolimiter import AsyncLimiter
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.errors import (
    ConfigurationError,
    DeliveryError,
    PermanentDeliveryError,
    PlatformUnavailable,
    TransientDeliveryError,
)
from bot.retry import describe_failure
from bot.settings import Settings


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
    method every REST call goes through (`HTTPClient.request`) paces them all.
    """
    if rate <= 0 or getattr(client.http, "_hotpapers_paced", False):
        return
    # Bursts of at most a few requests: a burst on top of the full rate would overrun
    # a sliding one-second window.
    limiter = AsyncLimiter(max(1.0, rate / 25), 0.04)
    request = client.http.request

    async def paced(route: Route, **kwargs: Any) -> Any:
        async with limiter:
            pass
        return await request(route, **kwargs)

    client.http.request = paced  # type: ignore[method-assign]
    client.http._hotpapers_paced = True  # type: ignore[attr-defined]


@asynccontextmanager
async def delivery_errors(what: str) -> AsyncIterator[None]:
    """discord.py / network errors -> the adapter's delivery errors (one line each)."""
    try:
        yield
    except (discord.Forbidden, discord.NotFound) as exc:
        raise PermanentDeliveryError(f"{what}: {_describe(exc)}") from exc
    except discord.DiscordServerError as exc:
        raise TransientDeliveryError(f"{what}: {_describe(exc)}") from exc
    except discord.HTTPException as exc:
        if exc.status == 401:
            raise PermanentDeliveryError(f"{what}: the bot token was rejected (401)") from exc
        if exc.status == 429:  # a 429 discord.py did not absorb (for example a ban)
            raise TransientDeliveryError(f"{what}: rate limited ({exc.text})") from exc
        raise DeliveryError(f"{what}: {_describe(exc)}") from exc
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise TransientDeliveryError(f"{what}: {type(exc).__name__} {exc}".strip()) from exc


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
