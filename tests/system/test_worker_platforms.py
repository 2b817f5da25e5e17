"""The worker survives a failing platform (issue 13: `hotpapers run` with the Discord API
unreachable logged "discord stopped" and exited 0, and the daily post for Slack stopped
too). The real worker as a subprocess against the fakes of tests/system/test_worker.py:
Discord's API is a closed port, Slack works. The schedule posts to Slack, /hot is
answered on Slack, Discord is started again with backoff (one log line each time),
its channel waits as unfinished, `hotpapers status` shows each platform's state and
last error, SIGTERM ends it with 0. When every platform's configuration is refused, the
worker ends at once with one line and exit code 2."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from pathlib import Path

import pytest

from tests.fakes.arxiv_server import ArxivFake
from tests.fakes.discord_api import TEXT_CHANNEL_ID, running_fake_discord
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, fake_slack
from tests.fakes.slack_socket import fake_socket_mode
from tests.fakes.social_servers import SocialServers
from tests.fakes.system_world import arxiv_day, due_now_env, expected_titles, hn_corpus, plan
from tests.system.test_worker import (
    OWN_PREFIXES,
    PROXIES,
    check_slack_thread,
    cli,
    hotpapers,
    stop,
    tail,
    until,
)

pytestmark = pytest.mark.slow

SLACK_SUB, SLACK_HOT = "C0DAILY", "C0HOTCMD"
CLOSED = "http://127.0.0.1:9/api/v10"


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(OWN_PREFIXES) and k not in PROXIES}
    return env | {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                  "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"}


async def test_the_worker_goes_on_without_an_unreachable_platform(tmp_path: Path) -> None:
    how = plan(dt.datetime.now(dt.UTC))
    date = how.date
    papers = arxiv_day(date)
    arxiv = ArxivFake(papers=papers, rss_date=date)
    await arxiv.start()
    social = SocialServers(hn_corpus(date, papers))
    try:
        async with social.running(), fake_slack() as slack, fake_socket_mode() as socket:
            slack.socket_url = socket.url
            env = base_env(tmp_path) | {
                **due_now_env(how, arxiv.url, social.url),
                "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
                "SLACK_API_URL": slack.url,
                "DISCORD_TOKEN": "a-token-for-an-unreachable-api", "DISCORD_API_URL": CLOSED,
            }
            await cli(env, tmp_path, "subscribe", f"slack:{SLACK_SUB}", "cs.LG")
            await cli(env, tmp_path, "subscribe", f"discord:{TEXT_CHANNEL_ID}")
            if how.last_day is not None:
                from bot.schedule import LAST_DAY
                from bot.store import Store

                store = await Store.open(env["HOTPAPERS_DATABASE_URL"])
                await store.set_value(LAST_DAY, how.last_day.isoformat())
                await store.close()
            log = tmp_path / "worker.log"
            with log.open("wb") as out:
                proc = await asyncio.create_subprocess_exec(
                    *hotpapers(), "run", env=env, cwd=tmp_path, stdout=out,
                    stderr=asyncio.subprocess.STDOUT)
            try:
                cs_lg = expected_titles({"cs.LG"})
                await until("the daily post on Slack",
                            lambda: len(slack.thread(SLACK_SUB)) >= 1 + len(cs_lg), proc, log,
                            wait=40)
                check_slack_thread(slack, SLACK_SUB, cs_lg)
                await until("the Socket Mode connection", lambda: socket.connections >= 1,
                            proc, log)
                await socket.send("slash_commands", {
                    "token": "legacy", "team_id": "T0001", "channel_id": SLACK_HOT,
                    "user_id": "U0USER", "command": "/hot", "text": date.isoformat(),
                    "api_app_id": "A0001", "trigger_id": f"trig.{time.time_ns()}",
                    "response_url": ""}, wait=3.0)
                every = expected_titles()
                await until("/hot on Slack", lambda: len(slack.thread(SLACK_HOT)) >= 1 +
                            len(every), proc, log)
                check_slack_thread(slack, SLACK_HOT, every)

                deadline = time.monotonic() + 30
                while True:
                    status = await cli(env, tmp_path, "status")
                    discord_row = [line for line in status.splitlines()
                                   if f"discord:{TEXT_CHANNEL_ID} " in line]
                    if "platform slack: running" in status and \
                            "platform discord: retrying" in status and \
                            discord_row and "unfinished" in discord_row[0]:
                        break  # the Discord channel waits for Discord to be back
                    assert time.monotonic() < deadline, status + tail(log)
                    await asyncio.sleep(0.5)
                assert "last error: cannot reach Discord at http://127.0.0.1:9" in status
                await until("Discord tried a few times",
                            lambda: log.read_text().count("discord failed: cannot reach") >= 2,
                            proc, log)
                await stop(proc, log)  # SIGTERM: exit 0
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            text = log.read_text()
            assert "Traceback" not in text, text[-3000:]
            assert "discord stopped" not in text
            for line in text.splitlines():
                if "discord failed" in line:
                    assert "starting it again in" in line, line  # one line each time
    finally:
        await arxiv.close()


async def test_the_worker_ends_with_exit_2_when_no_platform_can_run(tmp_path: Path) -> None:
    async with fake_slack() as slack, fake_socket_mode() as socket, \
            running_fake_discord() as discord:
        slack.socket_url = socket.url
        slack.revoked.add(BOT_TOKEN)
        env = base_env(tmp_path) | {
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": slack.url, "DISCORD_TOKEN": "not-the-right-token",
            "DISCORD_API_URL": discord.base_url, "DISCORD_GATEWAY_URL": discord.gateway_url,
        }
        proc = await asyncio.create_subprocess_exec(
            *hotpapers(), "run", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    text = out.decode()
    assert proc.returncode == 2, text
    last = [line for line in text.splitlines() if line.strip()][-1]
    assert last.startswith("error: nothing can run: "), text
    assert "discord: DISCORD_TOKEN was rejected" in last
    assert "slack: SLACK_BOT_TOKEN was rejected" in last
    assert "Traceback" not in text
