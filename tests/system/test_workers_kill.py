"""A worker killed with -9 in the middle of a fan-out (three `hotpapers run` workers on
one PostgreSQL database, 24 slow Slack channels, batches of 4 channels per job): the fake
Slack SIGKILLs the worker holding the lease of the thread whose message it has just
stored, before the answer gets back (the send is in doubt). The others queue its job
again once its heartbeat stops, wait for its thread leases to expire
(HOTPAPERS_LEASE_SECONDS=3), settle the message in doubt by reading Slack back, and
finish: every channel has one thread with each planned message once, in order (0
duplicates, 0 lost)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from bot.store import Store
from tests.fakes.workers import World, fleet_world, keys_of

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CHANNELS = {f"slack:C0K{i:02d}": ("cs.LG",) if i % 3 == 0 else () for i in range(24)}
KILL_AT = 30  # messages stored in all (of 24 x 3 or 4)


class KillMidSend:
    """Kills the worker posting the message that just made the total `KILL_AT`: the
    holder of that thread's lease (`host:pid:...`), before Slack's answer leaves."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.world: World | None = None
        self.killed: int | None = None
        self.armed = True

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                         ) -> web.StreamResponse:
        world = self.world
        before = dict(world.slack.messages) if world else {}
        sizes = {ch: len(msgs) for ch, msgs in before.items()}
        response = await handler(request)
        if world is None or not self.armed:
            return response
        grew = [ch for ch, msgs in world.slack.messages.items() if len(msgs) > sizes.get(ch, 0)]
        total = sum(len(m) for m in world.slack.messages.values())
        if grew and total >= KILL_AT:
            self.armed = False  # once
            store = await Store.open(self.db, migrate=False)
            try:
                leases = await store.leases(world.day)
            finally:
                await store.close()
            holders = [row["holder"] for row in leases if row["channel"] == grew[0]]
            pids = {p.pid for p, _ in world.procs}
            for holder in holders:
                pid = int(holder.split(":")[1])
                if pid in pids:
                    os.kill(pid, signal.SIGKILL)
                    self.killed = pid
                    break
            else:
                self.armed = True  # that thread's holder is not known yet: next message
        return response


async def test_a_worker_killed_mid_fan_out_leaves_nothing_lost_or_doubled(
        pg_url: str, tmp_path: Path) -> None:
    killer = KillMidSend(pg_url)
    async with fleet_world(pg_url, tmp_path, slack_latency=0.05,
                           slack_middlewares=(killer.middleware,),
                           HOTPAPERS_SLACK_RATE="10", HOTPAPERS_JOB_BATCH="4",
                           HOTPAPERS_JOB_CONCURRENCY="2", HOTPAPERS_LEASE_SECONDS="3") as world:
        await world.subscribe(CHANNELS)
        killer.world = world
        for _ in range(3):
            await world.start("--role", "scheduler", "--role", "worker")

        async def finished() -> bool:
            plans, ledger, leases = await world.plans_and_ledger()
            return (len(plans) == len(CHANNELS) and not leases
                    and len(ledger) == sum(len(p.all_parts) for p in plans.values())
                    and all(d.status == "sent" for d in ledger))

        deadline = time.monotonic() + 60
        while not await finished():
            assert time.monotonic() < deadline, f"not finished in time\n{world.tails()}"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # a duplicate would show up now
        plans, _, _ = await world.plans_and_ledger()
        codes = await world.stop_all()

    assert killer.killed is not None, "no worker was killed"
    killed = [i for i, (p, _) in enumerate(world.procs) if p.pid == killer.killed]
    assert [c for i, c in enumerate(codes) if i not in killed] == [0, 0], (codes, world.tails())
    assert codes[killed[0]] == -signal.SIGKILL
    logs = world.logs()
    assert "of a dead worker queued again" in logs, world.tails()
    duplicates = lost = 0
    for target in CHANNELS:
        want = world.wanted_keys(plans, target)
        got = keys_of(world, target)
        sent = [k for thread in got for k in thread]
        duplicates += len(sent) - len(set(sent))
        lost += len(set(want) - set(sent))
        assert got == [want], (target, got, want)  # one thread, in order
    assert (duplicates, lost) == (0, 0)
    assert logs.count(f"building the digest of {world.day}") == 1
