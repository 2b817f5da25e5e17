"""Three workers sharing one bot token against a fake Discord that enforces the global
limit, scaled to 25 requests/s: three real `python -m bot post` processes on one
PostgreSQL database, each posting the bundled 2021-08-06 digest (its 6 cs.CV papers) as
a thread to its own third of the channels at once, at HOTPAPERS_DISCORD_GLOBAL_RATE=24.

With HOTPAPERS_REDIS_URL (the local Redis) they spend one count: (almost) no global 429.
Without it and without a live-worker count (each process at the full rate, as before the
shared limiter) the same run does hit the global limit: the test can fail."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import uuid

import pytest

from bot.archive.importer import import_paths
from bot.store import Store
from tests.fakes.discord_api import FakeDiscord, running_fake_discord
from tests.paths import ROOT, SAMPLE_POST

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

GLOBAL_LIMIT = 25  # the fake's requests/s (Discord: 50), scaled by 1/2
GLOBAL_RATE = 24  # ours, just under it (Discord: 48 of 50)
WORKERS = 3
SHARED, ALONE = 24, 9  # channels of the run with Redis, of the run without (a third each)
DAY, CATEGORY, PAPERS = "2021-08-06", "cs.CV", 6  # the bundled sample's cs.CV papers
PER_CHANNEL = 3 + PAPERS  # read the channel, parent, thread, one reply per paper
FEW = 3  # global 429s the shared limiter may see (a busy machine delays a request)
OWN_PREFIXES = ("HOTPAPERS_", "SLACK_", "DISCORD_")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


async def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode()


async def fan_out(env: dict[str, str], discord: FakeDiscord, channels: list[int], *,
                  all_sent: bool = True) -> tuple[int, float]:
    """Three workers at once, each posting to its share of `channels`: the global 429s,
    and the seconds from the first request to the last. `all_sent`: each worker must
    post all of its share (else one that gave up on a channel may exit 1)."""
    shares = [channels[i::WORKERS] for i in range(WORKERS)]
    refused, first = discord.limits.global_refusals, len(discord.calls)
    results = await asyncio.gather(*(
        run(env, "post", "--date", DAY, "-c", CATEGORY,
            *(a for c in share for a in ("--to", f"discord:{c}")))
        for share in shares))
    for code, out in results:
        assert code in ((0,) if all_sent else (0, 1)) and "Traceback" not in out, out
    calls = discord.calls[first:]
    return discord.limits.global_refusals - refused, calls[-1].at - calls[0].at


def assert_one_thread_each(discord: FakeDiscord, channels: list[int]) -> None:
    for c in channels:
        parents = discord.messages[c]
        assert len(parents) == 1, (c, parents)  # one parent ...
        assert len(discord.thread_messages(parents[0]["id"])) == PAPERS, c  # ... one thread


async def test_three_workers_share_the_global_limit_through_redis(pg_url: str) -> None:
    if not _redis_up():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    store = await Store.open(pg_url)  # migrated
    try:
        report = await import_paths(store, [SAMPLE_POST])
        assert not report.errors
    finally:
        await store.close()
    token = f"shared-limits-{uuid.uuid4().hex}"  # its own counts in Redis (keys by token)
    async with running_fake_discord(token=token, global_limit=GLOBAL_LIMIT,
                                    honour_nonce=False) as discord:
        shared = [9400 + i for i in range(SHARED)]
        alone = [9500 + i for i in range(ALONE)]
        for c in shared + alone:
            discord.add_channel(c, f"papers-{c}", 0)
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
        env.update({"PYTHONPATH": str(ROOT), "HOTPAPERS_DATABASE_URL": pg_url,
                    "DISCORD_TOKEN": token, "DISCORD_API_URL": discord.base_url,
                    "HOTPAPERS_DISCORD_GLOBAL_RATE": str(GLOBAL_RATE)})
        with_redis, took = await fan_out(
            {**env, "HOTPAPERS_REDIS_URL": "redis://127.0.0.1:6379/0"}, discord, shared)
        # as before the shared limiter: each worker at the full rate
        # (discord.py gives a request up after a few 429s: a channel may be left undone)
        without, _ = await fan_out(env, discord, alone, all_sent=False)

    requests = SHARED * PER_CHANNEL + WORKERS * 2  # + each worker's login
    bound = requests / GLOBAL_LIMIT
    print(f"\nshared through Redis: {with_redis} global 429s, {took:.1f} s for {requests} "
          f"requests (bound {bound:.1f} s at {GLOBAL_LIMIT}/s, ratio {took / bound:.2f}); "
          f"each worker alone at the full rate: {without} global 429s for "
          f"{ALONE * PER_CHANNEL + WORKERS * 2} requests")
    assert_one_thread_each(discord, shared)
    assert with_redis <= FEW
    assert took < 2 * bound  # one shared rate, not a third of it each
    assert without > 10 * max(1, with_redis)  # three times the rate: the fake refuses
