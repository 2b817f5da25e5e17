"""The gateway adapter as an `AutoShardedClient` against the sharded fake gateway: one
process connects every shard and answers the guilds of each; the shard count comes from
GET /gateway/bot or HOTPAPERS_DISCORD_SHARDS; two adapters on one store split the shards
without ever connecting one twice, and the one left takes them all back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.discord import gateway
from adapters.discord.gateway import DiscordInteractive
from bot.core import Core
from bot.settings import Settings
from tests.fakes.discord_api import (
    GUILD_ID,
    TEXT_CHANNEL_ID,
    TOKEN,
    FakeDiscord,
    guild_on_shard,
    running_fake_discord,
)

pytestmark = pytest.mark.timeout(60)


def guilds_on_every_shard(fake: FakeDiscord, count: int) -> dict[int, int]:
    """A guild with a text channel on each shard of `count`: shard -> channel id."""
    channels = {}
    for shard in range(count):
        guild = fake.add_guild(guild_on_shard(shard, count))
        channels[shard] = 1000 + shard
        fake.add_channel(channels[shard], f"papers-{shard}", 0, guild=guild)
    return channels


def settings_for(fake: FakeDiscord, tmp_path: Path, shards: int | str = "auto") -> Settings:
    return Settings(discord_token=TOKEN, discord_api_url=fake.base_url,
                    discord_gateway_url=fake.gateway_url, discord_shards=shards,
                    fleet_heartbeat=0.1, fleet_ttl=0.6,
                    database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Core, DiscordInteractive]]:
    core = await Core.open(settings)
    adapter = DiscordInteractive(settings, guild_ready_timeout=0.1)
    task = asyncio.create_task(adapter.start(core))
    try:
        yield core, adapter
    finally:
        await adapter.close()
        await asyncio.wait_for(task, 5)
        await core.close()


async def answered_by(fake: FakeDiscord, channel: int) -> tuple[int, int]:
    """Send /subscriptions in `channel`; the shard of the connection it went to and
    the interaction's answer type."""
    iid = await fake.interact("subscriptions", channel=channel)
    cb = await fake.callback(iid)
    assert fake.routed[iid].shard is not None
    return fake.routed[iid].shard[0], cb.type


@pytest.mark.parametrize(("recommended", "setting", "count"), [(2, "auto", 2), (2, 4, 4)])
async def test_one_process_holds_every_shard_and_answers_each_guild(
        tmp_path: Path, recommended: int, setting: int | str, count: int) -> None:
    async with running_fake_discord(shards=recommended, sharding_required=True) as fake:
        channels = guilds_on_every_shard(fake, count)
        async with serving(settings_for(fake, tmp_path, setting)) as (core, adapter):
            await fake.wait_for(lambda: len(fake.connected()) == count, within=10)
            assert sorted(c.shard for c in fake.connected()) == [  # type: ignore[type-var]
                (s, count) for s in range(count)]
            for shard, channel in channels.items():
                assert await answered_by(fake, channel) == (shard, 4)
            assert (GUILD_ID >> 22) % count == 1  # the fake's first guild: on shard 1
            assert (await answered_by(fake, TEXT_CHANNEL_ID))[0] == 1
            holders = await core.store.named_leases("discord:shard:")
            assert sorted(holders) == [f"discord:shard:{s}" for s in range(count)]
            assert len(set(holders.values())) == 1
            assert adapter.shard_count == count
        assert fake.refused == [] and fake.undelivered == []
        assert len(fake.sent("PUT", r"/commands$")) == 1
        assert fake.connected() == []  # every shard closed with the adapter


async def test_two_processes_split_the_shards_and_the_last_takes_them_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway, "IDENTIFY_WINDOW", 0.05)  # the fake's pace, not Discord's
    async with running_fake_discord(shards=2) as fake:
        channels = guilds_on_every_shard(fake, 2)
        settings = settings_for(fake, tmp_path)
        async with serving(settings) as (_core, first):
            await fake.wait_for(lambda: len(fake.connected()) == 2, within=10)
            assert first.bot is not None
            async with serving(settings) as (_, second):
                await fake.wait_for(lambda: len(fake.connected()) == 2 and second.bot is not None
                                    and second.bot.shard_ids is not None
                                    and len(second.bot.shard_ids) == 1
                                    and first.bot is not None
                                    and len(first.bot.shard_ids or []) == 1, within=10)
                assert first.bot is not None and second.bot is not None
                held = {*first.bot.shard_ids, *second.bot.shard_ids}  # type: ignore[misc]
                assert held == {0, 1}
                for shard, channel in channels.items():
                    assert await answered_by(fake, channel) == (shard, 4)
            await fake.wait_for(lambda: first.bot is not None
                                and first.bot.shard_ids == [0, 1]
                                and len(fake.connected()) == 2, within=10)
            for shard, channel in channels.items():
                assert await answered_by(fake, channel) == (shard, 4)
        assert fake.refused == []  # no shard was ever connected twice
        # Synced by whoever first held shard 0 in each process (the first did at once).
        assert 1 <= len(fake.sent("PUT", r"/commands$")) <= 2


async def test_without_a_shared_database_the_overlap_is_refused(tmp_path: Path) -> None:
    """Two processes on two databases each think they are alone and connect every shard:
    the fake gateway refuses each second session of a shard (4005; discord.py tries again
    after a while), so the overlap shows; the first keeps its shards and its guilds."""
    async with running_fake_discord(shards=2) as fake:
        channels = guilds_on_every_shard(fake, 2)
        (tmp_path / "one").mkdir()
        (tmp_path / "two").mkdir()
        async with serving(settings_for(fake, tmp_path / "one")):
            await fake.wait_for(lambda: len(fake.connected()) == 2, within=10)
            first = list(fake.connected())
            async with serving(settings_for(fake, tmp_path / "two")):
                await fake.wait_for(lambda: len(fake.refused) >= 2, within=10)
                assert {(tuple(r.shard), r.code) for r in fake.refused} == {
                    ((0, 2), 4005), ((1, 2), 4005)}
                assert fake.connected() == first
                for shard, channel in channels.items():
                    assert await answered_by(fake, channel) == (shard, 4)


async def test_too_few_shards_is_a_one_line_error(tmp_path: Path) -> None:
    from bot.errors import ConfigurationError

    async with running_fake_discord(shards=2, sharding_required=True) as fake:
        core = await Core.open(settings_for(fake, tmp_path, shards=1))
        adapter = DiscordInteractive(settings_for(fake, tmp_path, shards=1),
                                     guild_ready_timeout=0.1)
        try:
            with pytest.raises(ConfigurationError) as info:
                await asyncio.wait_for(adapter.start(core), 10)
        finally:
            await adapter.close()
            await core.close()
    assert str(info.value) == ("Discord requires more than 1 shard(s) for this bot (4011); "
                               "set HOTPAPERS_DISCORD_SHARDS=auto or a larger count")


async def test_identifies_are_paced_per_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """max_concurrency buckets (shard id modulo it), one IDENTIFY per bucket per window:
    shards of other buckets go at once, a bucket's next one waits its turn."""
    import time

    monkeypatch.setattr(gateway, "IDENTIFY_WINDOW", 0.2)
    pace = gateway.IdentifyPace(max_concurrency=2)
    start = time.monotonic()
    went: dict[int, float] = {}

    async def identify(shard: int, key: int) -> None:
        await pace.wait(shard)
        went[key] = time.monotonic() - start

    await asyncio.gather(*(identify(shard, key) for key, shard in enumerate([0, 1, 2, 0])))
    assert went[0] < 0.1 and went[1] < 0.1  # buckets 0 and 1 at once
    assert 0.18 < went[2] < 0.3  # bucket 0 again: one window later
    assert 0.38 < went[3] < 0.5  # and once more: two windows
