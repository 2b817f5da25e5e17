"""Five posters at once on one database: `hotpapers post --to ...`, `post --subscribed`
(twice) and `run --once` (twice), real subprocesses started together, against fake
arXiv, Hacker News, Slack and Discord (nonce de-duplication OFF). On SQLite and on the
local PostgreSQL, every channel gets exactly one thread: one parent, each planned
paper once, in order. The thread leases decide who posts; the others skip a thread
("being posted by another process") or find it already there."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys

import pytest

from bot.models import Subscription
from bot.plans import delivery_key
from bot.schedule import LAST_DAY
from bot.store import Store
from tests.fakes.arxiv_server import ArxivFake
from tests.fakes.discord_api import TEXT_CHANNEL_ID, running_fake_discord
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.slack_api import BOT_TOKEN, fake_slack
from tests.fakes.social_servers import SocialServers
from tests.fakes.system_world import arxiv_day, hn_corpus, plan
from tests.fakes.workers import discord_keys, slack_keys
from tests.paths import ROOT

pytestmark = pytest.mark.slow

DISCORD_LG = 9301
SUBSCRIBED = {"slack:C0ALL": (), "slack:C0LG": ("cs.LG",), f"discord:{TEXT_CHANNEL_ID}": (),
              f"discord:{DISCORD_LG}": ("cs.LG",)}
OWN_PREFIXES = ("HOTPAPERS_", "SLACK_", "DISCORD_")


async def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode()


async def test_five_posters_at_once_post_each_thread_once(any_store_url: str) -> None:
    db = any_store_url  # one SQLite file, or a throwaway database on the local PostgreSQL
    how = plan(dt.datetime.now(dt.UTC))
    date = how.date
    papers = arxiv_day(date)
    arxiv = ArxivFake(papers=papers, rss_date=date)
    await arxiv.start()
    social = SocialServers(hn_corpus(date, papers))
    try:
        # slow platforms (latency, Slack at 2 msg/s): each thread takes a few seconds, so
        # the five processes, started together, really meet on the same threads
        async with social.running(), fake_slack(latency=0.1) as slack, \
                running_fake_discord(honour_nonce=False) as discord:
            discord.add_channel(DISCORD_LG, "lg-papers", 0)
            env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
            env.update({
                "PYTHONPATH": str(ROOT), "HOTPAPERS_DATABASE_URL": db,
                "HOTPAPERS_POST_TIME": "00:00", "HOTPAPERS_TIMEZONE": how.zone,
                "HOTPAPERS_ARXIV_API_URL": arxiv.url + "/api/query",
                "HOTPAPERS_ARXIV_RSS_URL": arxiv.url + "/rss/",
                "HOTPAPERS_ARXIV_OAI_URL": arxiv.url + "/oai",
                "HOTPAPERS_ARXIV_MIN_INTERVAL": "0",
                "HOTPAPERS_HN_URL": social.url("hn"), "HOTPAPERS_HF_URL": social.url("hf"),
                "HOTPAPERS_BLUESKY_URL": social.url("bluesky"),
                "HOTPAPERS_X_URL": social.url("x"),
                "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.url,
                "HOTPAPERS_SLACK_RATE": "2",
                "DISCORD_TOKEN": DISCORD_TOKEN, "DISCORD_API_URL": discord.base_url,
            })
            code, out = await run(env, "build", "--date", date.isoformat())  # migrates too
            assert code == 0, out
            discord.latency = 0.25
            store = await Store.open(db)
            for target, categories in SUBSCRIBED.items():
                platform, channel = target.split(":")
                await store.save_subscription(Subscription(platform, channel,
                                                           categories=categories))
            if how.last_day is not None:  # the weekend: the run catches up on Friday
                await store.set_value(LAST_DAY, how.last_day.isoformat())
            await store.close()

            day = date.isoformat()
            posters = [
                ("post", "--date", day, "--to", "slack:C0ALL", "--to", "slack:C0LG",
                 "--to", f"discord:{TEXT_CHANNEL_ID}"),
                ("post", "--date", day, "--subscribed"),
                ("run", "--once"),
                ("post", "--date", day, "--subscribed"),
                ("run", "--once"),
            ]
            results = await asyncio.gather(*(run(env, *args) for args in posters))
            for code, out in results:
                assert code in (0, 1) and "Traceback" not in out, out
            outputs = "\n".join(out for _, out in results)
            # they met: some poster found a thread claimed by another one
            assert "being posted by another process" in outputs or " busy" in outputs, outputs

            store = await Store.open(db)
            try:
                plans = {p.target: p for p in await store.thread_plans(day)}
                ledger = await store.deliveries(day)
                leases = await store.leases(day)
            finally:
                await store.close()
    finally:
        await arxiv.close()

    assert set(plans) == set(SUBSCRIBED) and {p.thread for p in plans.values()} == {"1"}
    for target, p in plans.items():
        platform, channel = target.split(":")
        want = [delivery_key(day, platform, channel, "1", part) for part in p.all_parts]
        got = (slack_keys(slack, channel) if platform == "slack"
               else discord_keys(discord, int(channel)))
        assert got == [want], (target, outputs)  # one thread, each message once, in order
    assert len(plans["slack:C0ALL"].parts) == 3 and len(plans[f"discord:{DISCORD_LG}"].parts) == 2
    assert {d.status for d in ledger} == {"sent"} and leases == []
    assert len(ledger) == sum(len(p.all_parts) for p in plans.values())
