"""Crash test: a publisher process posting to fake Slack and Discord servers is killed
with SIGKILL at many points of the fan-out (right after the k-th message landed, before
its reply got back — the in-doubt case — or just after), restarted, and in the end
every channel has every message exactly once, in order, in the right thread.

The fakes run in this test process (they outlive the killed publisher); the publisher
is `tests/fakes/publisher_proc.py` (the real adapters and `bot.publish.publish`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from bot.publish import delivery_key
from bot.store import Store
from tests.fakes.discord_api import TEXT_CHANNEL_ID, FakeDiscord
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.paths import ROOT

DATE = dt.date(2021, 8, 6)  # the bundled sample: 11 papers -> 12 messages per channel
PAPERS = 11
SLACK_CHANNELS = ("C0CRASH1", "C0CRASH2")
DISCORD_CHANNELS = (TEXT_CHANNEL_ID, 9124)
KEY = re.compile(r"hp[0-9a-f]{20}")

pytestmark = pytest.mark.slow


class Killer:
    """Kills the publisher when the fakes have stored `kill_at` messages in all."""

    def __init__(self, count: Callable[[], int]) -> None:
        self.count = count
        self.pid: int | None = None
        self.kill_at: int | None = None
        self.before_reply = True

    def kill(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.pid = None

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        before = self.count()
        response = await handler(request)
        if self.kill_at is not None and before < self.count() and self.count() >= self.kill_at:
            self.kill_at = None
            if self.before_reply:  # the message landed; the publisher never hears of it
                self.kill()
            else:
                asyncio.get_running_loop().call_later(0.002, self.kill)
        return response


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


def slack_keys(slack: FakeSlack, channel: str) -> list[str]:
    msgs = slack.messages.get(channel, [])
    parent_ts = msgs[0]["ts"] if msgs else None
    assert all(m.get("thread_ts") == parent_ts for m in msgs[1:]), "reply outside the thread"
    return [m["metadata"]["event_payload"]["key"] for m in msgs]


def discord_keys(discord: FakeDiscord, channel: int) -> list[str]:
    parents = discord.messages.get(channel, [])
    keys = [KEY.findall(json.dumps(p))[0] for p in parents]
    for p in parents:
        keys += [KEY.findall(json.dumps(m))[0] for m in discord.messages.get(int(p["id"]), [])]
    return keys


async def test_kill_9_anywhere_in_the_fan_out_then_restart(tmp_path: Path) -> None:
    slack = FakeSlack()
    discord = FakeDiscord(route_window=0.05)
    discord.add_channel(DISCORD_CHANNELS[1], "second", 0)

    def stored() -> int:
        return (sum(len(v) for v in slack.messages.values())
                + sum(len(v) for v in discord.messages.values())
                + sum(1 for c in discord.channels.values() if c["type"] == 11))

    killer = Killer(stored)
    runners = []
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
        "PYTHONPATH": str(ROOT),
    }
    db = f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    targets = [f"slack:{c}" for c in SLACK_CHANNELS] + [f"discord:{c}" for c in DISCORD_CHANNELS]
    total = 2 * (PAPERS + 1) + 2 * (PAPERS + 2)  # Discord: parent, thread, papers

    async def run_publisher() -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.fakes.publisher_proc", db, DATE.isoformat(), *targets,
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        killer.pid = proc.pid
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        killer.pid = None
        assert proc.returncode in (0, -signal.SIGKILL), err.decode()[-2000:]
        return proc.returncode, out.decode()

    kills = 0
    try:
        for i, point in enumerate((1, 2, 5, 12, 13, 19, 26, 27, 34, 41, 45, 49)):
            if point <= stored():
                continue
            killer.kill_at, killer.before_reply = point, i % 3 != 2
            code, _ = await run_publisher()
            kills += code != 0
            if code == 0:
                break
        killer.kill_at = None
        code, _ = await run_publisher()
        assert code == 0
    finally:
        for runner in runners:
            await runner.cleanup()

    assert kills >= 8, "the publisher should have been killed at many points"
    for ch in SLACK_CHANNELS:
        assert slack_keys(slack, ch) == [delivery_key(DATE, "slack", ch, p)
                                         for p in range(PAPERS + 1)]
    for cid in DISCORD_CHANNELS:
        assert discord_keys(discord, cid) == [delivery_key(DATE, "discord", str(cid), p)
                                              for p in range(PAPERS + 1)]
    assert stored() == total
    store = await Store.open(db)
    try:
        ledger = await store.deliveries(DATE)
    finally:
        await store.close()
    assert len(ledger) == 4 * (PAPERS + 1) and {d.status for d in ledger} == {"sent"}
    settled = [d for d in ledger if d.detail == "settled after doubt"]
    assert len(settled) >= 2, "in-doubt sends should have been settled by reading back"
