"""Discord's global limit is the bot token's: two discord.py clients of one process (as
the worker's poster and its gateway bot) spend one `HOTPAPERS_DISCORD_GLOBAL_RATE`, against
the fake Discord enforcing the global limit (scaled to 10 requests/s)."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from adapters.discord.client import login
from bot.settings import Settings
from tests.fakes.discord_api import TOKEN, FakeDiscord, running_fake_discord

CHANNELS = [9700 + i for i in range(12)]


async def fetch_all(fake: FakeDiscord, settings: Settings, clients: int) -> float:
    """`clients` clients of the token, each reading every channel at once; seconds.
    discord.py waits out a global 429, but gives up (HTTPException) after a few."""
    made = [discord.Client(intents=discord.Intents.none()) for _ in range(clients)]
    try:
        for client in made:
            await login(settings, client)
        started = time.monotonic()
        results = await asyncio.gather(
            *(client.fetch_channel(c) for client in made for c in CHANNELS),
            return_exceptions=True)
        assert all(isinstance(r, discord.abc.GuildChannel | discord.HTTPException)
                   for r in results), results
        if any(isinstance(r, Exception) for r in results):
            return -1.0
        return time.monotonic() - started
    finally:
        for client in made:
            await client.close()


@pytest.mark.parametrize("shared", [True, False], ids=["one-limiter", "a-limiter-each"])
async def test_two_clients_of_one_token_spend_one_global_rate(shared: bool) -> None:
    async with running_fake_discord(global_limit=10) as fake:
        for c in CHANNELS:
            fake.add_channel(c, f"papers-{c}", 0)
        settings = Settings(discord_token=TOKEN, discord_api_url=fake.base_url,  # type: ignore[arg-type]
                            discord_global_rate=9)
        if shared:
            took = await fetch_all(fake, settings, 2)
            assert fake.limits.global_refusals == 0
            assert took >= 1.8  # 24 requests (+ 4 logins) at 9/s, not 18/s
        else:
            # each client paced alone (as before: a limiter per client): each in an event
            # loop of its own (a thread), so each has its own registry and limiter
            await asyncio.gather(*(asyncio.to_thread(asyncio.run, fetch_all(fake, settings, 1))
                                   for _ in range(2)))
            assert fake.limits.global_refusals > 0  # the test can fail
