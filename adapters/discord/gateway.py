"""The Discord gateway connection of `hotpapers run`: an `AutoShardedClient` (the
`HotPapersBot` of `commands`) over the shards this process holds.

The shard count is HOTPAPERS_DISCORD_SHARDS, or with `auto` the `shards` Discord
recommends in GET /gateway/bot (asked once per start, with the login that checks the
token). Which shard ids this process connects is decided by the core (`bot.shards`:
its fair share among the live gateway processes, each shard held through a named
lease); when that set changes the client is closed and a new one connects the new set
(discord.py cannot add or drop shards of a running client). The fleet is the worker's
(`core.fleet`) when `hotpapers run` registers one, else the adapter registers this
process as a gateway worker for as long as it runs. On SQLite there is one process: it
holds every shard.

IDENTIFYs are paced as Discord asks: `max_concurrency` buckets (shard id modulo it), one
IDENTIFY per bucket every 5 s (discord.py's default hook sleeps 5 s before every shard
but the first, whatever the bucket). The commands are synced once per start, by the
process holding shard 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import TYPE_CHECKING

import aiohttp
import discord

from adapters.discord.client import login
from adapters.discord.commands import BAD_TOKEN, HotPapersBot
from bot.errors import ConfigurationError, PlatformUnavailable
from bot.fleet import Fleet
from bot.models import Answer, Command
from bot.render.discord import CONTENT_LIMIT, shorten_lines
from bot.settings import Settings
from bot.shards import ShardClaims, keep_shards

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

IDENTIFY_WINDOW = 5.0  # seconds: Discord allows max_concurrency IDENTIFYs per window (tests: less)
CLOSE_WITHIN = 10.0  # seconds a closed client gets to end its connection
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011  # close codes discord.py does not retry


class IdentifyPace:
    """One IDENTIFY per bucket (`shard_id % max_concurrency`) every 5 s, across the
    clients of one adapter (a reconnect after a rebalance is paced with the rest)."""

    def __init__(self, max_concurrency: int = 1) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self._last: dict[int, float] = {}  # bucket -> when its last IDENTIFY went (or goes)

    async def wait(self, shard_id: int | None) -> None:
        """Until this shard's bucket may IDENTIFY (its slot is booked at once, so
        shards of other buckets do not wait behind it)."""
        bucket = (shard_id or 0) % self.max_concurrency
        now = time.monotonic()
        last = self._last.get(bucket)
        slot = now if last is None else max(now, last + IDENTIFY_WINDOW)
        self._last[bucket] = slot
        await asyncio.sleep(slot - now)


class PacedBot(HotPapersBot):
    def __init__(self, core: Core, pace: IdentifyPace, **options: object) -> None:
        super().__init__(core, **options)  # type: ignore[arg-type]
        self.pace = pace

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False
                                   ) -> None:
        await self.pace.wait(shard_id)


async def recommended_shards(settings: Settings) -> tuple[int, int]:
    """Log in (one-line ConfigurationError on a bad token) and ask GET /gateway/bot:
    the recommended shard count and the IDENTIFY `max_concurrency`."""
    intents = discord.Intents.none()
    intents.guilds = True  # (without it discord.py warns, though the probe never connects)
    probe = discord.Client(intents=intents)
    await login(settings, probe)
    try:
        shards, _url, limits = await probe.http.get_bot_gateway()
    except (discord.GatewayNotFound, aiohttp.ClientError, OSError) as exc:
        raise PlatformUnavailable(
            f"Discord did not say how many shards to use (GET /gateway/bot: "
            f"{type(exc).__name__}); set HOTPAPERS_DISCORD_SHARDS to a count") from None
    finally:
        await probe.close()
    return max(1, int(shards)), int(limits.get("max_concurrency", 1))


class DiscordInteractive:
    """`InteractiveAdapter` for Discord: logs in, holds its shards, serves the commands."""

    platform = "discord"

    def __init__(self, settings: Settings, *, defer_after: float = 2.0,
                 guild_ready_timeout: float = 2.0) -> None:
        self.settings = settings
        self.defer_after = defer_after
        self.guild_ready_timeout = guild_ready_timeout
        self.bot: HotPapersBot | None = None
        self.shard_count: int | None = None
        self._synced = False
        self._closed = asyncio.Event()

    async def start(self, core: Core) -> None:
        self._closed = asyncio.Event()
        recommended, concurrency = await recommended_shards(self.settings)
        wanted = self.settings.discord_shards
        count = recommended if wanted == "auto" else wanted
        if count < recommended:
            log.warning("HOTPAPERS_DISCORD_SHARDS=%d, but Discord recommends %d shards",
                        count, recommended)
        self.shard_count = count
        pace = IdentifyPace(concurrency)
        async with contextlib.AsyncExitStack() as stack:
            fleet: Fleet | None = getattr(core, "fleet", None)
            if fleet is None:
                fleet = await stack.enter_async_context(Fleet(
                    core.store, ["gateway"], interval=self.settings.fleet_heartbeat,
                    ttl=self.settings.fleet_ttl))
            claims = ShardClaims(core.store, fleet, count)

            async def serve(shards: frozenset[int]) -> None:
                await self._serve(core, pace, count, shards)

            await keep_shards(claims, serve, stop=self._closed)

    async def _serve(self, core: Core, pace: IdentifyPace, count: int,
                     shards: frozenset[int]) -> None:
        """Connect `shards` of `count` until closed (or cancelled: a new set)."""
        if self._closed.is_set():
            return
        bot = PacedBot(core, pace, defer_after=self.defer_after,
                       guild_ready_timeout=self.guild_ready_timeout,
                       shard_ids=sorted(shards), shard_count=count,
                       sync_commands=0 in shards and not self._synced)
        self.bot = bot
        # The connection runs in a task of its own: discord.py swallows a cancellation
        # that lands while it identifies a shard again, so a new shard set (this task
        # cancelled) stops it by closing the client, then waits for it to end.
        connection = asyncio.create_task(self._connect(bot, count), name="discord-gateway")
        try:
            await asyncio.shield(connection)
        finally:
            self._synced = self._synced or bot.commands_synced
            await close_client(bot)
            if not connection.done():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection, CLOSE_WITHIN)

    async def _connect(self, bot: HotPapersBot, count: int) -> None:
        try:
            await login(self.settings, bot)  # one-line ConfigurationError on a bad token
            await bot.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired:
            raise ConfigurationError(
                "Discord refused the bot's gateway intents; enable them for the bot in the "
                "developer portal (Bot -> Privileged Gateway Intents)") from None
        except discord.ConnectionClosed as exc:
            if exc.code == BAD_TOKEN:
                raise ConfigurationError(
                    "DISCORD_TOKEN was rejected by the Discord gateway (4004); reset the "
                    "token in the developer portal and set DISCORD_TOKEN again") from None
            if exc.code == SHARDING_REQUIRED:
                raise ConfigurationError(
                    f"Discord requires more than {count} shard(s) for this bot (4011); set "
                    "HOTPAPERS_DISCORD_SHARDS=auto or a larger count") from None
            if exc.code == INVALID_SHARD:
                raise ConfigurationError(
                    f"the Discord gateway refused shard {exc.shard_id} of {count} as invalid "
                    "(4010); check HOTPAPERS_DISCORD_SHARDS (auto: Discord's count)") from None
            raise

    async def reply(self, command: Command, answer: Answer) -> None:
        """Post an answer in the command's channel (outside an interaction)."""
        if self.bot is None:
            raise RuntimeError("start() the Discord adapter before replying")
        if answer.digest is not None:
            report = await self.bot.post_thread(command.channel, command.workspace,
                                                answer.digest, f"reply:{secrets.token_hex(6)}",
                                                answer.notes)
            if report.status != "done":
                log.warning("posting a reply in %s failed: %s", command.channel, report.detail)
        else:
            await self.bot.poster.send_text(command.channel,
                                            shorten_lines(answer.text, CONTENT_LIMIT))

    async def close(self) -> None:
        self._closed.set()
        if self.bot is not None:
            await close_client(self.bot)


async def close_client(bot: discord.AutoShardedClient) -> None:
    """Close `bot` (again: closing is idempotent). AutoShardedClient.close() needs the
    loop state login() sets up: a client stopped before its login is not open anyway."""
    with contextlib.suppress(AttributeError):
        await bot.close()
