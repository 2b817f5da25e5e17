"""Shards (issue 11): two real `hotpapers run --role gateway` processes on one PostgreSQL
database and one fake Discord, HOTPAPERS_DISCORD_SHARDS=4, a guild on each shard. Each process holds
different shards (its named leases, its own gateway connections: the fake tells them
apart by the path of each process's DISCORD_GATEWAY_URL); a slash command sent to a
guild of each shard is answered once, by the process holding that shard, and never by
the other. Then one process is killed with -9: the other takes its shards over once
their leases expire and answers every guild.

Each process has only the gateway role (no schedule, no jobs); the daily post is not
due either (today is marked handled) and nothing is subscribed; every outside URL but
the fake's is a closed port."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
from pathlib import Path

import pytest

from bot.schedule import LAST_DAY
from bot.store import Store
from tests.fakes.discord_api import TOKEN, FakeDiscord, guild_on_shard, running_fake_discord
from tests.system.test_worker import OWN_PREFIXES, PROXIES, hotpapers, stop, tail, until

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(90)]

SHARDS = 4
CLOSED = "http://127.0.0.1:9/"


def worker_env(fake: FakeDiscord, pg_url: str, label: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(OWN_PREFIXES) and k not in PROXIES}
    return env | {
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "HOTPAPERS_DATABASE_URL": pg_url, "HOTPAPERS_TIMEZONE": "UTC",
        "HOTPAPERS_DISCORD_SHARDS": str(SHARDS),
        "HOTPAPERS_FLEET_HEARTBEAT": "0.3", "HOTPAPERS_FLEET_TTL": "1.5",
        "DISCORD_TOKEN": TOKEN, "DISCORD_API_URL": fake.base_url,
        "DISCORD_GATEWAY_URL": f"{fake.gateway_url}/{label}",
        **{f"HOTPAPERS_{name}_URL": CLOSED for name in (
            "ARXIV_API", "ARXIV_RSS", "ARXIV_OAI", "HN", "HF", "BLUESKY", "X")},
    }


async def leases_by_pid(store: Store) -> dict[int, set[int]]:
    """pid of the holder (its fleet id is host:pid:random) -> the shards it holds."""
    out: dict[int, set[int]] = {}
    for name, holder in (await store.named_leases("discord:shard:")).items():
        out.setdefault(int(holder.split(":")[1]), set()).add(int(name.rsplit(":", 1)[1]))
    return out


async def ask_every_guild(fake: FakeDiscord, channels: dict[int, int]) -> dict[int, str]:
    """/subscriptions in each shard's guild: shard -> the label of the process whose
    connection got it; each answered exactly once."""
    routed = {}
    for shard, channel in channels.items():
        iid = await fake.interact("subscriptions", channel=channel)
        cb = await fake.callback(iid, within=5)
        assert cb.type == 4, cb  # answered at once
        conn = fake.routed[iid]
        assert conn.shard == (shard, SHARDS)
        routed[shard] = conn.label
    await asyncio.sleep(0.3)  # a second answer (from anyone) would show by now
    for iid in fake.routed:
        answers = fake.sent("POST", rf"/interactions/{iid}/", status=None)
        assert len(answers) == 1, answers
    return routed


async def test_two_processes_answer_the_guilds_of_their_own_shards(tmp_path: Path,
                                                                   pg_url: str) -> None:
    store = await Store.open(pg_url)  # migrated once, before two processes start
    await store.set_value(LAST_DAY, dt.datetime.now(dt.UTC).date().isoformat())
    procs: dict[str, asyncio.subprocess.Process] = {}
    logs = {label: tmp_path / f"{label}.log" for label in ("a", "b")}
    try:
        async with running_fake_discord(shards=1, sharding_required=True) as fake:
            channels = {}
            for shard in range(SHARDS):
                guild = fake.add_guild(guild_on_shard(shard, SHARDS))
                channels[shard] = 2000 + shard
                fake.add_channel(channels[shard], f"papers-{shard}", 0, guild=guild)

            async def start(label: str) -> asyncio.subprocess.Process:
                with logs[label].open("wb") as out:
                    procs[label] = await asyncio.create_subprocess_exec(
                        *hotpapers(), "run", "--role", "gateway",
                        env=worker_env(fake, pg_url, label),
                        cwd=tmp_path, stdout=out, stderr=asyncio.subprocess.STDOUT)
                return procs[label]

            a = await start("a")
            await until("a holds every shard", lambda: fake.shards_of("a") == set(range(
                SHARDS)), a, logs["a"], wait=20)
            b = await start("b")
            await until("a and b split the shards", lambda: len(fake.shards_of("a")) == 2
                        and len(fake.shards_of("b")) == 2, b, logs["b"], wait=20)
            held = await leases_by_pid(store)
            assert held == {a.pid: fake.shards_of("a"), b.pid: fake.shards_of("b")}, held

            routed = await ask_every_guild(fake, channels)
            assert {s for s, label in routed.items() if label == "a"} == fake.shards_of("a")
            assert {s for s, label in routed.items() if label == "b"} == fake.shards_of("b")

            a.send_signal(signal.SIGKILL)  # no release: b waits for a's leases to expire
            await a.wait()
            await until("b takes a's shards over", lambda: fake.shards_of("b") == set(
                range(SHARDS)), b, logs["b"], wait=20)
            assert await leases_by_pid(store) == {b.pid: set(range(SHARDS))}
            fake.routed.clear()
            assert set((await ask_every_guild(fake, channels)).values()) == {"b"}
            assert fake.refused == []  # no shard was ever connected by both
            await stop(b, logs["b"])  # SIGTERM: exit 0
        assert await store.named_leases("discord:shard:") == {}  # b released on its way out
    finally:
        for proc in procs.values():
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await store.close()
    for log in logs.values():
        assert "Traceback" not in log.read_text(), tail(log)
