"""System test: the worker as deployed. `hotpapers subscribe` (CLI) then `hotpapers run`
started as a subprocess, configured only by environment variables pointing at fakes this
test runs on 127.0.0.1: arXiv (RSS, API, OAI-PMH), the social sources, Slack (Web API +
Socket Mode) and Discord (REST + gateway).

It checks the daily post (built live from the fakes: arXiv listing + Hacker News posts,
ranked, filtered per subscription) lands in both channels as a parent and one threaded
reply per paper in rank order; that `/hot DATE` arrives and is answered on both
platforms while the worker runs; that SIGTERM ends the worker with 0; and that a restart
posts nothing twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.schedule import LAST_DAY
from bot.store import Store
from tests.fakes.arxiv_server import ArxivFake
from tests.fakes.discord_api import TEXT_CHANNEL_ID, FakeDiscord, running_fake_discord
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack, fake_slack
from tests.fakes.slack_socket import FakeSocketMode, fake_socket_mode
from tests.fakes.social_servers import SocialServers
from tests.fakes.system_world import Plan, arxiv_day, due_now_env, expected_titles, hn_corpus, plan

pytestmark = pytest.mark.slow

SLACK_SUB, SLACK_HOT = "C0DAILY", "C0HOTCMD"
DISCORD_HOT = 9300  # a second text channel, where /hot is typed
OWN_PREFIXES = ("HOTPAPERS_", "SLACK_", "DISCORD_")
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def hotpapers() -> list[str]:
    script = Path(sys.executable).parent / "hotpapers"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


async def cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        *hotpapers(), *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, out.decode()
    return out.decode()


def tail(log: Path) -> str:
    """The end of a worker's log, for an assertion message."""
    return log.read_text()[-3000:]


async def until(what: str, check: Callable[[], bool], proc: asyncio.subprocess.Process,
                log: Path, wait: float = 20.0) -> None:
    deadline = time.monotonic() + wait
    while not check():
        if proc.returncode is not None:
            raise AssertionError(f"the worker exited ({proc.returncode}) while waiting for "
                                 f"{what}:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{tail(log)}")
        await asyncio.sleep(0.05)


async def stop(proc: asyncio.subprocess.Process, log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.wait_for(proc.wait(), 5)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"the worker ignored SIGTERM:\n{tail(log)}") from None
    assert code == 0, tail(log)


def slack_snapshot(slack: FakeSlack) -> dict[str, list[tuple[str, str]]]:
    return {ch: [(m["ts"], str(m.get("thread_ts"))) for m in msgs]
            for ch, msgs in slack.messages.items()}


def discord_snapshot(fake: FakeDiscord) -> dict[int, list[str]]:
    return {ch: [m["id"] for m in msgs] for ch, msgs in fake.messages.items()}


def check_slack_thread(slack: FakeSlack, channel: str, titles: list[str]) -> None:
    msgs = slack.thread(channel)
    assert len(msgs) == 1 + len(titles), [m["text"][:60] for m in msgs]
    parent, replies = msgs[0], msgs[1:]
    assert "thread_ts" not in parent
    assert all(m["thread_ts"] == parent["ts"] for m in replies)
    for reply, title in zip(replies, titles, strict=True):
        assert title in str(reply["blocks"]), (title, reply["text"][:200])


def discord_thread(fake: FakeDiscord, channel: int) -> tuple[dict[str, Any], list[Any]]:
    parents = [m for m in fake.messages[channel] if m.get("embeds")]
    assert len(parents) == 1, parents
    return parents[0], fake.thread_messages(parents[0]["id"])


def check_discord_thread(fake: FakeDiscord, channel: int, titles: list[str]) -> None:
    parent, replies = discord_thread(fake, channel)
    thread = fake.channels[int(parent["id"])]  # a thread started from the parent
    assert thread["type"] == 11 and thread["parent_id"] == str(channel)
    assert len(replies) == len(titles)
    for rank, (reply, title) in enumerate(zip(replies, titles, strict=True), 1):
        embed_title = reply["embeds"][0]["title"]
        assert embed_title.startswith(f"{rank}.") and title in embed_title, embed_title


async def test_worker_posts_answers_hot_and_never_posts_twice(tmp_path: Path) -> None:
    await run_system(tmp_path, plan(dt.datetime.now(dt.UTC)))


async def run_system(tmp_path: Path, how: Plan) -> None:
    date = how.date
    papers = arxiv_day(date)
    arxiv = ArxivFake(papers=papers, rss_date=date)
    await arxiv.start()
    social = SocialServers(hn_corpus(date, papers))
    try:
        async with social.running(), fake_slack() as slack, fake_socket_mode() as socket, \
                running_fake_discord(heartbeat_interval_ms=500) as discord:
            slack.socket_url = socket.url
            discord.add_channel(DISCORD_HOT, "hot-commands", 0)
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(OWN_PREFIXES) and k not in PROXIES}
            env.update({
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}",
                **due_now_env(how, arxiv.url, social.url),
                "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
                "SLACK_API_URL": slack.url,
                "DISCORD_TOKEN": DISCORD_TOKEN, "DISCORD_API_URL": discord.base_url,
                "DISCORD_GATEWAY_URL": discord.gateway_url,
            })
            # 1. subscriptions, with the CLI, before the worker runs
            await cli(env, tmp_path, "subscribe", f"slack:{SLACK_SUB}", "cs.LG")
            await cli(env, tmp_path, "subscribe", f"discord:{TEXT_CHANNEL_ID}")
            if how.last_day is not None:  # a worker that was down over the weekend
                store = await Store.open(env["HOTPAPERS_DATABASE_URL"])
                await store.set_value(LAST_DAY, how.last_day.isoformat())
                await store.close()

            # 2. the worker: the daily post is due at start (00:00 local has passed)
            log1 = tmp_path / "worker1.log"
            with log1.open("wb") as out:
                proc = await asyncio.create_subprocess_exec(
                    *hotpapers(), "run", env=env, cwd=tmp_path, stdout=out,
                    stderr=asyncio.subprocess.STDOUT)
            try:
                await run_first(proc, log1, date, slack, socket, discord)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            text = log1.read_text()
            assert "Traceback" not in text, text[-3000:]
            for secret in (BOT_TOKEN, APP_TOKEN, DISCORD_TOKEN):
                assert secret not in text

            # 5. restart: nothing is due any more and nothing is posted again
            slack_before, discord_before = slack_snapshot(slack), discord_snapshot(discord)
            identifies = discord.gateway_ops.count(2)
            log2 = tmp_path / "worker2.log"
            with log2.open("wb") as out:
                proc = await asyncio.create_subprocess_exec(
                    *hotpapers(), "run", env=env, cwd=tmp_path, stdout=out,
                    stderr=asyncio.subprocess.STDOUT)
            try:
                await until("the restarted worker's connections",
                            lambda: socket.connections == 2
                            and discord.gateway_ops.count(2) == identifies + 1, proc, log2)
                await asyncio.sleep(2.0)
                await stop(proc, log2)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            assert slack_snapshot(slack) == slack_before
            assert discord_snapshot(discord) == discord_before
            assert "Traceback" not in log2.read_text()
    finally:
        await arxiv.close()
    # the digest was built live from the fakes (not taken from anywhere else)
    assert arxiv.requests("/rss/") and arxiv.requests("/api/query")
    assert social.requests("hn")


async def run_first(proc: asyncio.subprocess.Process, log: Path, date: dt.date,
                    slack: FakeSlack, socket: FakeSocketMode, discord: FakeDiscord) -> None:
    every, cs_lg = expected_titles(), expected_titles({"cs.LG"})
    assert len(every) == 3 and len(cs_lg) == 2  # the filter has something to drop

    # 3. the daily post: parent + one reply per paper, in rank order, in the thread
    def daily_done() -> bool:
        parents = [m for m in discord.messages[TEXT_CHANNEL_ID] if m.get("embeds")]
        return (len(slack.thread(SLACK_SUB)) >= 1 + len(cs_lg) and len(parents) == 1
                and len(discord.thread_messages(parents[0]["id"])) >= len(every))

    await until("the daily post in both channels", daily_done, proc, log)
    check_slack_thread(slack, SLACK_SUB, cs_lg)
    check_discord_thread(discord, TEXT_CHANNEL_ID, every)
    assert date.isoformat() in slack.thread(SLACK_SUB)[0]["text"]
    assert date.isoformat() in discord_thread(discord, TEXT_CHANNEL_ID)[0]["embeds"][0]["title"]

    # 4. /hot DATE while it runs: Slack Socket Mode and a Discord interaction
    await until("the Socket Mode connection", lambda: socket.connections >= 1, proc, log)
    await until("the Discord gateway", lambda: discord.identified.is_set()
                and bool(discord.commands.get("global")), proc, log)
    ack = await socket.send("slash_commands", {
        "token": "legacy", "team_id": "T0001", "channel_id": SLACK_HOT, "user_id": "U0USER",
        "command": "/hot", "text": date.isoformat(), "api_app_id": "A0001",
        "trigger_id": f"trig.{time.time_ns()}", "response_url": ""}, wait=3.0)
    assert "envelope_id" in ack
    iid = await discord.interact("hot", [{"name": "date", "type": 3,
                                          "value": date.isoformat()}], channel=DISCORD_HOT)
    callback = await discord.callback(iid, within=3.0)
    assert callback.type in (4, 5) and callback.delay < 3.0

    def hot_done() -> bool:
        parents = [m for m in discord.messages[DISCORD_HOT] if m.get("embeds")]
        return (len(slack.thread(SLACK_HOT)) >= 1 + len(every) and len(parents) == 1
                and len(discord.thread_messages(parents[0]["id"])) >= len(every))

    await until("the /hot threads", hot_done, proc, log)
    await asyncio.sleep(0.5)  # anything extra would show up now
    check_slack_thread(slack, SLACK_HOT, every)
    check_discord_thread(discord, DISCORD_HOT, every)
    check_slack_thread(slack, SLACK_SUB, cs_lg)  # the daily post did not grow
    check_discord_thread(discord, TEXT_CHANNEL_ID, every)
    assert slack.count("chat.postMessage", 429) == 0

    await stop(proc, log)
