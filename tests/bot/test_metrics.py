"""The process's metrics (bot/metrics.py), counted where the work happens: a real fan-out
through the Slack and Discord adapters against the fake platforms (each message settled,
each retry, every 429 the fakes served), a build against the fake arXiv and social
servers (build duration per source, the sources' 429s and retries), and job latency.

The registry is the process's, shared by every test: each test reads the counters
before and after and checks the difference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from adapters.discord.post import open_chat_adapter as open_discord
from adapters.slack.client import make_client
from adapters.slack.post import SlackChatAdapter
from bot.digest import build_digest
from bot.metrics import REGISTRY, observe_job, timed_job
from bot.models import Digest, Subscription
from bot.publish import Mode, PublishReport, publish
from bot.schedule import Scheduler
from bot.settings import Settings
from bot.store import Store
from tests.adapters.slack.helpers import sample_digest
from tests.fakes.build_world import DAY, NOW, World
from tests.fakes.clock import FakeClock
from tests.fakes.digests import make_digest
from tests.fakes.discord_api import TEXT_CHANNEL_ID, running_fake_discord
from tests.fakes.memory_chat import MemoryChatAdapter
from tests.fakes.slack_api import BOT_TOKEN, fake_slack


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Delta:
    """Counter values now, to compare with later."""

    def __init__(self, *keys: tuple[str, dict[str, str]]) -> None:
        self.keys = keys
        self.before = [value(n, **lb) for n, lb in keys]

    def after(self) -> list[float]:
        return [value(n, **lb) - b for (n, lb), b in zip(self.keys, self.before, strict=True)]


def msgs(platform: str, state: str) -> tuple[str, dict[str, str]]:
    return "hotpapers_messages_total", {"platform": platform, "state": state}


def by_platform(name: str, platform: str) -> tuple[str, dict[str, str]]:
    return name, {"platform": platform}


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture(autouse=True)
def _fast_slack_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.slack.client.RETRY_BACKOFF", 0.01)


async def test_a_fan_out_counts_messages_retries_and_429s(tmp_path: Path) -> None:
    """Slack and Discord each: two 429s served (absorbed by the SDKs), one message that
    landed but whose answer was a 500 (read back: found, after one retry of the delivery
    loop), the others sent; an unknown Discord channel fails for good."""
    digest = sample_digest(3)  # a parent and 3 papers per channel
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    keys = [msgs(p, s) for p in ("slack", "discord") for s in ("sent", "found", "failed")]
    keys += [by_platform(n, p) for n in ("hotpapers_http_429_total", "hotpapers_retries_total")
             for p in ("slack", "discord")]
    async with fake_slack() as slack, running_fake_discord() as discord:
        slack.fail_next("chat.postMessage", "ratelimited", status=429, times=2)
        slack.fail_next("chat.postMessage", "internal_error", status=500, after=True, skip=3)
        discord.force_429("POST", rf"^/channels/{TEXT_CHANNEL_ID}/messages$", count=2)
        discord.fail("POST", rf"^/channels/{TEXT_CHANNEL_ID}/messages$", 500, after=True)
        settings = Settings(slack_api_url=slack.url, slack_bot_token=BOT_TOKEN,
                            discord_token=discord.token, discord_api_url=discord.base_url,
                            discord_gateway_url=discord.gateway_url)
        slack_adapter = SlackChatAdapter(make_client(settings, BOT_TOKEN), per_channel_rate=1000)
        discord_adapter = await open_discord(settings)
        delta = Delta(*keys)
        try:
            report = await publish(
                store, {"slack": slack_adapter, "discord": discord_adapter}, digest,
                [Subscription("slack", "C1"), Subscription("discord", str(TEXT_CHANNEL_ID)),
                 Subscription("discord", "999")], sleep=no_sleep, mode=Mode.POST)
        finally:
            await slack_adapter.close()
            await discord_adapter.close()
            await store.close()
        slack_429 = sum(1 for c in slack.calls if c.status == 429)
        discord_429 = sum(1 for c in discord.calls if c.status == 429)
    statuses = sorted((c.platform, c.channel, c.status) for c in report.channels)
    assert statuses == [("discord", str(TEXT_CHANNEL_ID), "done"),
                        ("discord", "999", "paused"), ("slack", "C1", "done")], statuses
    (slack_sent, slack_found, slack_failed, discord_sent, discord_found, discord_failed,
     s429, d429, s_retries, d_retries) = delta.after()
    assert (slack_sent, slack_found, slack_failed) == (3, 1, 0)
    assert (discord_sent, discord_found, discord_failed) == (3, 1, 1)
    assert slack_429 >= 2 and s429 == slack_429  # every 429 the fakes served, counted
    assert discord_429 >= 2 and d429 == discord_429
    assert (s_retries, d_retries) == (1, 1)


async def test_a_webhook_like_send_in_doubt_is_counted_in_doubt(sqlite_store: Store) -> None:
    chat = MemoryChatAdapter("memory", reads_back=False)
    chat.lose_reply["c1"] = 1  # the parent lands, its answer is lost; no history to read
    delta = Delta(msgs("memory", "in_doubt"), msgs("memory", "sent"))
    report = await publish(sqlite_store, {"memory": chat}, sample_digest(2),
                           [Subscription("memory", "c1")], sleep=no_sleep)
    assert report.channels[0].status == "in-doubt"
    assert delta.after() == [1, 0]


def hist(name: str, label: str, source: str, outcome: str = "ok") -> tuple[str, dict[str, str]]:
    return f"{name}_count", {label: source, "outcome": outcome}


async def test_a_build_times_each_source_and_counts_their_429s(world: World,
                                                               tmp_path: Path) -> None:
    """Two tries per request here (`FAST`): Hacker News gets one 429 and then answers,
    Hugging Face one 503 and then answers, X two 429s and fails."""
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    world.social.fail("hn", 429, times=1, retry_after="0.01")
    world.social.fail("hf", 503, times=1, retry_after="0.01")
    world.social.fail("x", 429, times=2, retry_after="0.01")
    answered = ("arxiv", "hn", "hf", "bluesky")
    delta = Delta(*(hist("hotpapers_build_seconds", "source", s) for s in answered),
                  hist("hotpapers_build_seconds", "source", "x", "failed"),
                  *(by_platform(n, s) for s in ("hn", "hf", "x")
                    for n in ("hotpapers_http_429_total", "hotpapers_retries_total")))
    try:
        result = await build_digest(DAY, settings=world.settings, session=world.session,
                                    store=store, sources=world.sources(), now=NOW)
    finally:
        await store.close()
    assert result.digest.papers and result.digest.failed_sources == ("x",)
    *builds, x_failed, hn429, hn_retries, hf429, hf_retries, x429, x_retries = delta.after()
    assert builds == [1, 1, 1, 1] and x_failed == 1  # one observation per source and build
    served = {s: sum(1 for e in world.social.log if e.status == 429 and e.source == s)
              for s in ("hn", "hf", "x")}
    assert (hn429, hf429, x429) == (served["hn"], served["hf"], served["x"]) == (1, 0, 2)
    assert (hn_retries, hf_retries, x_retries) == (1, 1, 1)  # a 503 is a retry, not a 429
    assert value("hotpapers_build_seconds_sum", source="hn", outcome="ok") > 0


async def test_job_latency_is_queued_to_done() -> None:
    queued = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    delta = Delta(("hotpapers_job_seconds_count", {"task": "t-test", "outcome": "failed"}),
                  ("hotpapers_job_seconds_sum", {"task": "t-test", "outcome": "failed"}),
                  ("hotpapers_job_seconds_bucket",
                   {"task": "t-test", "outcome": "failed", "le": "120.0"}))
    observe_job("t-test", queued, queued + dt.timedelta(seconds=90), "failed")
    assert delta.after() == [1, 90, 1]

    async def step(n: int) -> int:
        if n < 0:
            raise ValueError("negative")
        return n * 2

    timed = timed_job("t-step", step)
    ok = Delta(("hotpapers_job_seconds_count", {"task": "t-step", "outcome": "ok"}),
               ("hotpapers_job_seconds_count", {"task": "t-step", "outcome": "failed"}))
    assert await timed(4) == 8
    with pytest.raises(ValueError):
        await timed(-1)
    assert ok.after() == [1, 1]


async def test_the_in_process_scheduler_times_its_build_and_post_as_jobs(
        sqlite_store: Store) -> None:
    """Until a job backend observes its jobs, the daily run's build and post steps are
    the jobs `build` and `post` (a build that raises: `failed`)."""
    await sqlite_store.save_subscription(Subscription("memory", "A"))
    chat = MemoryChatAdapter()
    failures = [RuntimeError("arXiv answered 503")]

    async def build(date: dt.date) -> Digest | None:
        if failures:
            raise failures.pop()
        digest = make_digest(date, 2)
        await sqlite_store.save_digest(digest)
        return digest

    async def post(digest: Digest, subs: list[Subscription]) -> PublishReport:
        return await publish(sqlite_store, {"memory": chat}, digest, subs, sleep=no_sleep)

    clock = FakeClock(dt.datetime(2021, 8, 6, 9, 30, tzinfo=dt.UTC))
    scheduler = Scheduler(sqlite_store, Settings(database_url="sqlite+aiosqlite://"),
                          build=build, publish=post, clock=clock)
    jobs = Delta(*(("hotpapers_job_seconds_count", {"task": task, "outcome": outcome})
                   for task, outcome in (("build", "ok"), ("build", "failed"), ("post", "ok"))))
    assert await scheduler.run_due() == []  # the build failed: tried again later
    (outcome,) = await scheduler.run_due()
    assert outcome.status == "posted" and len(chat.messages["A"]) == 3
    assert jobs.after() == [1, 1, 1]
