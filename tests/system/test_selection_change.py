"""The two selection-change scenarios of issue 10, as a user runs them: the real CLI
(`python -m bot` subprocesses) against fake Slack and fake Discord (nonce
de-duplication OFF, so only our ledger can keep delivery exactly once).

1. `hotpapers post -c cs.CV`, then `post` without `-c`: refused in one line naming
   `--again`, nothing sent; the cs.CV thread holds its 6 papers once each, in order;
   `--again` posts a second, full thread.
2. The daily code path (`post --subscribed`) killed after 3 messages, the subscription
   changed from cs.CV to cs.LG, run again: the thread is finished as planned (cs.CV).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.archive.bundled import sample_digest
from bot.models import Subscription
from bot.store import Store
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord, running_fake_discord
from tests.fakes.killer import Killer
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack, fake_slack
from tests.paths import ROOT, SAMPLE_POST

pytestmark = pytest.mark.slow

DATE = "2021-08-06"
DIGEST = sample_digest()
ALL = [" ".join(p.paper.title.split()) for p in DIGEST.papers]
CV = [" ".join(p.paper.title.split()) for p in DIGEST.papers if "cs.CV" in p.paper.categories]
D1, D2 = 660000000000000001, 660000000000000002


@dataclass
class World:
    slack: FakeSlack
    discord: FakeDiscord
    env: dict[str, str]
    killer: Killer

    async def cli(self, *args: str, kill_at: int | None = None) -> tuple[int, str]:
        self.killer.kill_at = kill_at
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env=self.env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self.killer.pid = proc.pid
        out, _ = await asyncio.wait_for(proc.communicate(), 90)
        self.killer.pid = None
        text = out.decode()
        assert "Traceback" not in text, text
        return proc.returncode or 0, text

    def stored(self) -> int:
        return (sum(len(v) for v in self.slack.messages.values())
                + sum(len(v) for v in self.discord.messages.values()))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    killer = Killer(lambda: 0)  # counts what the fakes store, once they exist
    async with fake_slack(middlewares=(killer.middleware,)) as slack, \
            running_fake_discord(middlewares=(killer.middleware,), honour_nonce=False) as discord:
        for cid in (D1, D2):
            discord.add_channel(cid, f"papers-{cid % 10}", 0)
        env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.url,
               "DISCORD_TOKEN": DISCORD_TOKEN, "DISCORD_API_URL": discord.base_url,
               "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hp.db'}",
               "HOTPAPERS_SLACK_RATE": "200", "HOTPAPERS_LEASE_SECONDS": "1",
               "PYTHONPATH": str(ROOT)}
        w = World(slack, discord, env, killer)
        killer.count = w.stored
        code, out = await w.cli("import", str(SAMPLE_POST))  # a fresh store is empty
        assert code == 0, out
        yield w


def slack_threads(slack: FakeSlack, channel: str) -> list[list[str]]:
    """Each parent's replies (titles), in posting order."""
    threads: dict[str, list[str]] = {}
    for m in slack.thread(channel):
        if "thread_ts" not in m:
            threads[m["ts"]] = []
        else:
            threads[m["thread_ts"]].append(m["text"].split(". ", 1)[1].split("\n")[0])
    return list(threads.values())


def slack_parents(slack: FakeSlack, channel: str) -> list[str]:
    return [m["text"] for m in slack.thread(channel) if "thread_ts" not in m]


def discord_threads(discord: FakeDiscord, channel: int) -> list[list[str]]:
    return [[m["embeds"][0]["title"].split(". ", 1)[1] for m in discord.thread_messages(p["id"])]
            for p in discord.messages[channel]]


def titles_match(got: list[str], want: list[str]) -> bool:
    """The titles in order (cards keep a title's spacing as listed: compare it folded)."""
    folded = [" ".join(g.split()) for g in got]
    return len(got) == len(want) and all(w.startswith(g.rstrip("…")) or g.startswith(w)
                                         for g, w in zip(folded, want, strict=True))


async def test_post_another_view_is_refused_then_again_posts_a_full_thread(world: World
                                                                            ) -> None:
    targets = ["--to", "slack:C10", "--to", f"discord:{D1}"]
    code, out = await world.cli("post", "--date", DATE, *targets, "-c", "cs.CV")
    assert code == 0 and "slack:C10: 7 of 7 messages sent" in out, out
    before = world.stored()
    code, out = await world.cli("post", "--date", DATE, *targets)
    assert code == 1
    for target in ("slack:C10", f"discord:{D1}"):
        assert (f"{DATE} is already posted to {target} as 6 papers (cs.CV); add --again to "
                "post this view as a new thread") in " ".join(out.split()), out
    assert world.stored() == before  # nothing sent
    assert titles_match(slack_threads(world.slack, "C10")[0], CV)
    assert titles_match(discord_threads(world.discord, D1)[0], CV)

    code, out = await world.cli("post", "--date", DATE, *targets, "--again")
    assert code == 0 and "slack:C10 (thread 2): 12 of 12 messages sent" in out, out
    for threads in (slack_threads(world.slack, "C10"), discord_threads(world.discord, D1)):
        assert len(threads) == 2
        assert titles_match(threads[0], CV) and titles_match(threads[1], ALL)
    assert "6 papers" in slack_parents(world.slack, "C10")[0]
    code, out = await world.cli("post", "--date", DATE, *targets)  # this view: thread 2
    assert code == 0 and "0 of 12 messages sent (12 already there)" in out, out

    code, out = await world.cli("deliveries", "--date", DATE, "--to", "slack:C10",
                                "--format", "json")
    assert code == 0, out
    rows: list[dict[str, Any]] = json.loads(out)
    assert [(r["thread"], r["state"]) for r in rows] == [("1", "sent")] * 7 + [("2", "sent")] * 12
    assert rows[0]["part"] == "parent" and rows[1]["part"] == DIGEST.papers[0].paper.arxiv_id
    assert all(r["permalink"].startswith("https://fake.slack.com/archives/C10/p") for r in rows)
    assert all(r["attempts"] == 1 and r["message_id"] for r in rows)
    code, out = await world.cli("deliveries", "--date", DATE)
    assert code == 0 and f"discord:{D1} · thread 2" in out and "6 papers (cs.CV)" in out, out


async def test_daily_run_killed_then_subscription_changed_finishes_as_planned(world: World
                                                                              ) -> None:
    async def subscribe(categories: tuple[str, ...]) -> None:
        store = await Store.open(world.env["HOTPAPERS_DATABASE_URL"])
        for platform, channel in (("slack", "C0Q1"), ("discord", str(D2))):
            await store.save_subscription(Subscription(platform, channel, categories=categories))
        await store.close()

    await subscribe(("cs.CV",))
    code, _ = await world.cli("post", "--date", DATE, "--subscribed", kill_at=3)
    assert code == -signal.SIGKILL
    assert 3 <= world.stored() < 2 * 7
    await subscribe(("cs.LG",))
    await asyncio.sleep(1.2)  # the killed poster's leases run out
    code, out = await world.cli("post", "--date", DATE, "--subscribed")
    assert code == 0, out
    assert "posted" in out
    (slack_thread,) = slack_threads(world.slack, "C0Q1")
    (discord_thread,) = discord_threads(world.discord, D2)
    assert titles_match(slack_thread, CV) and titles_match(discord_thread, CV)
    (parent,) = slack_parents(world.slack, "C0Q1")
    assert "6 papers" in parent and "cs.CV" in parent
    assert "cs.CV" in world.discord.messages[D2][0]["embeds"][0]["description"]
    code, out = await world.cli("post", "--date", DATE, "--subscribed")  # nothing more
    assert code == 0 and world.stored() == 2 * 7
