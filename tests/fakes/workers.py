"""Several `python -m bot run` workers on one PostgreSQL database, against the fake
arXiv, Hacker News, Slack and Discord of this test process (tests/system/test_workers*.py).

`fleet_world` starts the fakes for the day `plan()` picks (the worker's post is due at
start: HOTPAPERS_POST_TIME=00:00) and yields a `World`: its `env` configures a worker
(fast ticks, polling and heartbeats: the timings are settings), `start` runs one,
`stop_all` ends them with SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.models import Subscription
from bot.plans import delivery_key
from bot.schedule import LAST_DAY
from bot.store import Store
from tests.fakes.arxiv_server import ArxivFake
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord, running_fake_discord
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack, fake_slack
from tests.fakes.social_servers import SocialServers
from tests.fakes.system_world import Plan, arxiv_day, due_now_env, hn_corpus, plan
from tests.paths import ROOT

OWN_PREFIXES = ("HOTPAPERS_", "SLACK_", "DISCORD_")
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@dataclass
class World:
    db: str
    how: Plan
    slack: FakeSlack
    discord: FakeDiscord
    arxiv: ArxivFake
    tmp: Path
    env: dict[str, str]
    procs: list[tuple[asyncio.subprocess.Process, Path]] = field(default_factory=list)

    @property
    def day(self) -> str:
        return self.how.date.isoformat()

    async def subscribe(self, targets: dict[str, tuple[str, ...]]) -> None:
        store = await Store.open(self.db)  # migrates: 0009 brings procrastinate's schema
        try:
            for target, categories in targets.items():
                platform, channel = target.split(":")
                await store.save_subscription(Subscription(platform, channel,
                                                           categories=categories))
            if self.how.last_day is not None:  # the weekend: the run catches up on Friday
                await store.set_value(LAST_DAY, self.how.last_day.isoformat())
        finally:
            await store.close()

    async def start(self, *args: str) -> asyncio.subprocess.Process:
        log = self.tmp / f"worker{len(self.procs) + 1}.log"
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", *args, env=self.env, cwd=ROOT,
                stdout=out, stderr=asyncio.subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def logs(self) -> str:
        return "\n".join(f"--- {log.name} ---\n{log.read_text()}" for _, log in self.procs)

    def tails(self) -> str:
        return "\n".join(f"--- {log.name} ---\n{log.read_text()[-2500:]}"
                         for _, log in self.procs)

    async def until(self, what: str, check: Callable[[], bool], wait: float = 40.0) -> None:
        deadline = time.monotonic() + wait
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}:\n{self.tails()}")
            await asyncio.sleep(0.05)

    async def stop_all(self) -> list[int | None]:
        for proc, _ in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        codes = []
        for proc, _ in self.procs:
            try:
                codes.append(await asyncio.wait_for(proc.wait(), 15))
            except TimeoutError:
                proc.kill()
                await proc.wait()
                codes.append(None)
        return codes

    async def cli(self, *args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env=self.env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode or 0, out.decode()

    async def plans_and_ledger(self) -> tuple[dict[str, Any], list[Any], list[Any]]:
        store = await Store.open(self.db)
        try:
            plans = {p.target: p for p in await store.thread_plans(self.day)}
            return plans, await store.deliveries(self.day), await store.leases(self.day)
        finally:
            await store.close()

    def wanted_keys(self, plans: dict[str, Any], target: str) -> list[str]:
        platform, channel = target.split(":")
        return [delivery_key(self.day, platform, channel, "1", part)
                for part in plans[target].all_parts]


def slack_keys(slack: FakeSlack, channel: str) -> list[list[str]]:
    """Per parent (thread), the keys of its messages, in the order Slack stored them."""
    threads: dict[str, list[str]] = {}
    for m in slack.thread(channel):
        key = m["metadata"]["event_payload"]["key"]
        threads.setdefault(m.get("thread_ts") or m["ts"], []).append(key)
    return list(threads.values())


def discord_keys(discord: FakeDiscord, channel: int) -> list[list[str]]:
    return [[str(discord.sent_nonce(p)), *(str(discord.sent_nonce(m))
                                            for m in discord.thread_messages(p["id"]))]
            for p in discord.messages.get(channel, [])]


def keys_of(world: World, target: str) -> list[list[str]]:
    platform, channel = target.split(":")
    return (slack_keys(world.slack, channel) if platform == "slack"
            else discord_keys(world.discord, int(channel)))


@contextlib.asynccontextmanager
async def fleet_world(db: str, tmp: Path, *, slack_latency: float = 0.0,
                      discord_latency: float = 0.0, slack_middlewares: tuple[Any, ...] = (),
                      **env: str) -> AsyncIterator[World]:
    how = plan(dt.datetime.now(dt.UTC))
    papers = arxiv_day(how.date)
    arxiv = ArxivFake(papers=papers, rss_date=how.date)
    await arxiv.start()
    social = SocialServers(hn_corpus(how.date, papers))
    try:
        async with social.running(), \
                fake_slack(slack_middlewares, latency=slack_latency) as slack, \
                running_fake_discord(honour_nonce=False) as discord:
            discord.latency = discord_latency
            base = {k: v for k, v in os.environ.items()
                    if not k.startswith(OWN_PREFIXES) and k not in PROXIES}
            base.update({
                "PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost",
                "HOTPAPERS_DATABASE_URL": db,
                **due_now_env(how, arxiv.url, social.url),
                "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.url,
                "DISCORD_TOKEN": DISCORD_TOKEN, "DISCORD_API_URL": discord.base_url,
                "DISCORD_GATEWAY_URL": discord.gateway_url,
                # fast: a tick a second, jobs polled 5 times a second, a heartbeat a second
                "HOTPAPERS_TICK_SECONDS": "1", "HOTPAPERS_JOB_POLL_SECONDS": "0.2",
                "HOTPAPERS_FLEET_HEARTBEAT": "1", "HOTPAPERS_FLEET_TTL": "4",
                "HOTPAPERS_JOB_RETRY_SECONDS": "0.5",
            })
            base.update(env)
            world = World(db, how, slack, discord, arxiv, tmp, base)
            try:
                yield world
            finally:
                await world.stop_all()
    finally:
        await arxiv.close()
