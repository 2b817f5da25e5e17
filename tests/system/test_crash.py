"""Crash test: the daily post (`Scheduler.post_date`, the real adapters, the one
delivery loop) to fake Slack and Discord servers is killed with SIGKILL at 14 points of
the fan-out (right after the k-th message landed, before its reply got back — the
in-doubt case — or just after), the channels' subscriptions are changed between kills,
it is restarted, and in the end every channel has exactly the thread planned at the
first attempt: each planned message once, in order, in the right thread. The fake
Discord does NOT de-duplicate nonces here: only the ledger and read-back can keep it so.

The fakes run in this test process (they outlive the killed publisher); the publisher
is `tests/fakes/publisher_proc.py`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from bot.models import Subscription
from bot.plans import delivery_key
from bot.store import Store
from tests.fakes.discord_api import TEXT_CHANNEL_ID, FakeDiscord
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.killer import Killer, serve
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.paths import ROOT

DATE = dt.date(2021, 8, 6)  # the bundled sample: 11 papers, 6 in cs.CV, 5 in cs.LG
KEY = re.compile(r"hp[0-9a-f]{20}")
# what each channel follows at the first attempt, and what it is changed to between kills
FIRST = {"slack:C0CRASH1": (), "slack:C0CRASH2": ("cs.CV",),
         f"discord:{TEXT_CHANNEL_ID}": ("cs.LG",), "discord:9124": ()}
LATER = ((), ("cs.CV",), ("cs.LG",), ("stat.ML", "cs.AI"))

pytestmark = pytest.mark.slow


def slack_keys(slack: FakeSlack, channel: str) -> list[str]:
    msgs = slack.messages.get(channel, [])
    parent_ts = msgs[0]["ts"] if msgs else None
    assert all(m.get("thread_ts") == parent_ts for m in msgs[1:]), "reply outside the thread"
    return [m["metadata"]["event_payload"]["key"] for m in msgs]


def discord_keys(discord: FakeDiscord, channel: int) -> list[str]:
    """The nonces the messages were sent with, as the server recorded them (no message
    shows a key: that is checked too)."""
    parents = discord.messages.get(channel, [])
    keys = [discord.sent_nonce(p) or "?" for p in parents]
    for p in parents:
        keys += [discord.sent_nonce(m) or "?" for m in discord.messages.get(int(p["id"]), [])]
        shown = json.dumps([discord._public(m) for m in [p, *discord.messages.get(
            int(p["id"]), [])]])
        assert not KEY.search(shown), "an internal key is visible in a message"
    return keys


async def set_subscriptions(db: str, views: dict[str, tuple[str, ...]]) -> None:
    store = await Store.open(db)
    try:
        for target, categories in views.items():
            platform, channel = target.split(":")
            await store.save_subscription(Subscription(platform, channel,
                                                       categories=categories))
    finally:
        await store.close()


async def test_kill_9_anywhere_in_the_fan_out_with_changing_subscriptions(
        tmp_path: Path) -> None:
    slack = FakeSlack()
    discord = FakeDiscord(route_window=0.05, honour_nonce=False)
    discord.add_channel(9124, "second", 0)

    def stored() -> int:
        return (sum(len(v) for v in slack.messages.values())
                + sum(len(v) for v in discord.messages.values())
                + sum(1 for c in discord.channels.values() if c["type"] == 11))

    killer = Killer(stored)
    apps = []
    for fake in (slack, discord):
        app = fake.app()
        app.middlewares.append(killer.middleware)
        apps.append(app)
    slack_runner, slack_port = await serve(apps[0])
    discord_runner, discord_port = await serve(apps[1])
    runners = [slack_runner, discord_runner]
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "DISCORD_API_URL": f"http://127.0.0.1:{discord_port}/api/v10",
        "HOTPAPERS_TEST_SLACK_RATE": "500",
        "HOTPAPERS_LEASE_SECONDS": "1",  # a killed poster's threads are free after 1 s
        "PYTHONPATH": str(ROOT),
    }
    db = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    await set_subscriptions(db, FIRST)

    async def run_publisher() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.fakes.publisher_proc", db, DATE.isoformat(),
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        killer.pid = proc.pid
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        killer.pid = None
        assert proc.returncode in (0, 1, -signal.SIGKILL), err.decode()[-2000:]
        return proc.returncode, out.decode()

    kills = busy = 0
    points = (1, 2, 4, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36)
    try:
        for i, point in enumerate(points):
            if point <= stored():
                continue
            killer.kill_at, killer.before_reply = point, i % 3 != 2
            code, out = await run_publisher()
            while code == 1 and "busy" in out and stored() < point:  # the lease of the
                busy += 1                                             # killed one lingers
                await asyncio.sleep(0.3)
                code, out = await run_publisher()
            kills += code == -signal.SIGKILL
            if code == 0:
                break
            # the subscriptions change between kills: threads in progress must not
            await set_subscriptions(db, {t: LATER[(i + n) % len(LATER)]
                                         for n, t in enumerate(FIRST)})
        killer.kill_at = None
        for _ in range(20):
            code, out = await run_publisher()
            if code == 0:
                break
            await asyncio.sleep(0.3)
        assert code == 0, out
    finally:
        for runner in runners:
            await runner.cleanup()

    assert kills >= 12, f"the publisher should have been killed at many points ({kills})"
    store = await Store.open(db)
    try:
        plans = {p.target: p for p in await store.thread_plans(DATE.isoformat())}
        ledger = await store.deliveries(DATE.isoformat())
    finally:
        await store.close()
    assert set(plans) == set(FIRST) and {p.thread for p in plans.values()} == {"1"}
    total = 0
    for target, plan in plans.items():
        assert plan.view is not None and plan.view.categories == tuple(sorted(FIRST[target]))
        platform, channel = target.split(":")
        want = [delivery_key(DATE.isoformat(), platform, channel, "1", part)
                for part in plan.all_parts]
        got = slack_keys(slack, channel) if platform == "slack" else \
            discord_keys(discord, int(channel))
        assert got == want, target  # each planned message once, in planned order
        total += len(want) + (1 if platform == "discord" else 0)  # + the Discord thread
    assert len(plans["slack:C0CRASH2"].parts) == 6 and len(plans["slack:C0CRASH1"].parts) == 11
    assert stored() == total
    assert len(ledger) == sum(len(p.all_parts) for p in plans.values())
    assert {d.status for d in ledger} == {"sent"}
    settled = [d for d in ledger if d.detail == "settled after doubt"]
    assert len(settled) >= 4, "in-doubt sends should have been settled by reading back"
    assert {d.platform for d in settled} == {"slack", "discord"}
