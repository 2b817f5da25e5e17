"""`/hot` over HTTP mode: correctly signed requests to the `hotpapers serve` web app, the
real slack-bolt app, the real core (bundled 2021-08-06 sample) and the fake Slack API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.cli.serve_cmds import build_web_app
from bot.core import Core
from bot.digest import Builder
from bot.models import BuildResult
from bot.settings import Settings
from tests.adapters.slack.helpers import SIGNING_SECRET, sample_digest, signed, slash_body, until
from tests.fakes.digests import store_sample
from tests.fakes.slack_api import ADMIN, BOT_TOKEN, MEMBER, FakeSlack, fake_slack


@dataclass
class Served:
    slack: FakeSlack
    core: Core
    url: str
    http: aiohttp.ClientSession

    async def hot(self, text: str, *, channel: str = "C123", user: str = MEMBER, **kw: object
                  ) -> aiohttp.ClientResponse:
        body = slash_body(text, self.slack.response_url(f"r{len(self.slack.responses)}"),
                          channel=channel, user=user)
        return await self.http.post(self.url + "/slack/events", data=body,
                                    headers=signed(body, **kw))  # type: ignore[arg-type]

    async def hot_ok(self, text: str, **kw: object) -> float:
        start = time.monotonic()
        resp = await self.hot(text, **kw)  # type: ignore[arg-type]
        assert resp.status == 200, await resp.text()
        return time.monotonic() - start


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.slack.pacing.PER_CHANNEL_RATE", 500.0)
    monkeypatch.setattr("adapters.slack.client.RETRY_BACKOFF", 0.01)
    monkeypatch.setattr("adapters.slack.commands.SLOW_NOTICE_AFTER", 0.3)


def make_settings(slack: FakeSlack, tmp_path: Path, **kw: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "slack_api_url": slack.url, "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
    }
    return Settings(**(values | kw))  # type: ignore[arg-type]


async def serve(slack: FakeSlack, settings: Settings, builder: Builder | None = None
                ) -> AsyncIterator[Served]:
    core = await Core.open(settings, builder=builder)
    await store_sample(core.store)
    web_app, _ = await build_web_app(core, settings)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(slack, core, str(server.make_url("")).rstrip("/"), http)
    finally:
        await server.close()
        await core.close()


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with fake_slack() as slack:
        async for s in serve(slack, make_settings(slack, tmp_path)):
            yield s


def reply_titles(slack: FakeSlack, channel: str) -> list[str]:
    return [m["text"] for m in slack.thread(channel)[1:]]


async def test_hot_week_posts_the_window_as_a_thread(served: Served) -> None:
    await served.hot_ok("2021-W31")
    await until(lambda: len(served.slack.thread("C123")) == 12)
    parent, first = served.slack.thread("C123")[:2]
    assert parent["text"] == "Hot Papers of the week 2021-W31: 11 papers (cs, stat.ML)"
    assert parent["blocks"][0]["text"]["text"] == "Hot Papers of the week 2021-W31"
    assert "1 stored day, 2021-08-06 to 2021-08-06" in str(parent["blocks"])
    assert first["text"].startswith("1. Sketch Your Own GAN (score 2,842 · X 2,597 reposts")
    assert "listed 2021-08-06" in str(first["blocks"])


async def test_hot_latest_posts_parent_and_eleven_replies_in_rank_order(served: Served) -> None:
    took = await served.hot_ok("")
    assert took < 3.0  # acked within Slack's 3 seconds
    await until(lambda: len(served.slack.thread("C123")) == 12)
    await asyncio.sleep(0.1)
    thread = served.slack.thread("C123")
    assert len(thread) == 12
    parent = thread[0]
    assert "Hot Papers 2021-08-06" in parent["text"] and "11 papers" in parent["text"]
    assert all(m["thread_ts"] == parent["ts"] for m in thread[1:])
    digest = await served.core.store.get_digest(sample_digest(1).date)
    assert digest is not None
    for i, (msg, p) in enumerate(zip(thread[1:], digest.papers, strict=True), start=1):
        assert msg["text"].startswith(f"{i}. {p.paper.title} (score ")  # spacing as listed
    assert reply_titles(served.slack, "C123")[0].startswith("1. Sketch Your Own GAN")
    assert served.slack.responses == []  # nothing ephemeral on success


async def test_hot_date_and_yesterday(served: Served) -> None:
    await served.hot_ok("2021-08-06", channel="C200")
    await until(lambda: len(served.slack.thread("C200")) == 12)
    await served.hot_ok("yesterday", channel="C201")
    await until(lambda: len(served.slack.responses) == 1)
    answer = served.slack.responses[0]
    assert answer["response_type"] == "ephemeral"
    assert "No digest for" in answer["text"] and "2021-08-06" in answer["text"]
    assert served.slack.thread("C201") == []


async def test_hot_date_category_posts_only_that_category(served: Served) -> None:
    await served.hot_ok("2021-08-06 cs.CV")
    await until(lambda: len(served.slack.thread("C123")) == 7)
    await asyncio.sleep(0.1)
    thread = served.slack.thread("C123")
    assert len(thread) == 7  # six cs.CV papers that day
    assert "cs.CV" in thread[0]["text"]
    assert [t.split(".")[0] for t in reply_titles(served.slack, "C123")] == [
        "1", "2", "3", "4", "5", "6"]


async def test_subscribe_view_all_unsubscribe_subscriptions(served: Served) -> None:
    slack, store = served.slack, served.core.store
    await served.hot_ok("subscribe cs.LG stat.ML", user=ADMIN)
    await until(lambda: len(slack.responses) == 1)
    assert slack.responses[0]["response_type"] == "ephemeral"
    sub = await store.get_subscription("slack", "C123")
    assert sub is not None and sub.workspace == "T0001"
    assert set(sub.categories) == {"cs.LG", "stat.ML"}

    await served.hot_ok("")  # the channel's view
    await until(lambda: len(slack.thread("C123")) == 6)
    await asyncio.sleep(0.1)
    assert len(slack.thread("C123")) == 6  # five cs.LG / stat.ML papers

    await served.hot_ok("2021-08-06 all", channel="C123")
    await until(lambda: len(slack.thread("C123")) == 6 + 12)

    await served.hot_ok("unsubscribe cs.LG", user=ADMIN)
    await until(lambda: len(slack.responses) == 2)
    sub = await store.get_subscription("slack", "C123")
    assert sub is not None and sub.categories == ("stat.ML",)

    await served.hot_ok("subscriptions")
    await until(lambda: len(slack.responses) == 3)
    assert "stat.ML" in slack.responses[2]["text"]
    assert slack.responses[2]["response_type"] == "ephemeral"


async def test_help_is_ephemeral(served: Served) -> None:
    await served.hot_ok("help")
    await until(lambda: len(served.slack.responses) == 1)
    answer = served.slack.responses[0]
    assert answer["response_type"] == "ephemeral" and "/hot subscribe" in answer["text"]
    assert served.slack.posts() == []


@pytest.mark.parametrize(
    "text", ["2021-13-45", "2021-08-06 cs.XX", "frobnicate", "subscribe cs.QQ"])
async def test_bad_input_gets_one_line_ephemeral_hint(served: Served, text: str) -> None:
    await served.hot_ok(text)
    await until(lambda: len(served.slack.responses) == 1)
    answer = served.slack.responses[0]
    assert answer["response_type"] == "ephemeral"
    assert "\n" not in answer["text"].strip() and len(answer["text"]) < 300
    assert "Traceback" not in answer["text"]
    assert served.slack.posts() == []
    assert await served.core.store.get_subscription("slack", "C123") is None


@pytest.mark.parametrize("kw", [{"secret": "wrong-secret"}, {"age": 6 * 60}])
async def test_bad_or_stale_signature_is_401_and_does_nothing(served: Served, kw: dict) -> None:
    resp = await served.hot("subscribe cs.LG", **kw)
    assert resp.status == 401
    await asyncio.sleep(0.3)
    assert served.slack.responses == [] and served.slack.posts() == []
    assert await served.core.store.get_subscription("slack", "C123") is None


async def test_unsigned_request_is_401(served: Served) -> None:
    body = slash_body("help", served.slack.response_url())
    resp = await served.http.post(served.url + "/slack/events", data=body,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 401


def mention_event(event_id: str, text: str = "<@U0BOT> 2021-08-06 cs.CV") -> str:
    return json.dumps({
        "token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()),
        "event": {"type": "app_mention", "user": "U0USER", "text": text, "ts": "1.000001",
                  "channel": "C300", "event_ts": "1.000001"},
        "authorizations": [{"team_id": "T0001", "user_id": "U0BOT", "is_bot": True}],
    })


async def test_event_retries_never_post_twice(served: Served) -> None:
    body = mention_event("Ev0001")
    first = await served.http.post(served.url + "/slack/events", data=body,
                                   headers=signed(body, content_type="application/json"))
    assert first.status == 200
    for attempt in (1, 2):
        headers = signed(body, content_type="application/json")
        headers |= {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        again = await served.http.post(served.url + "/slack/events", data=body, headers=headers)
        assert again.status == 200
    await until(lambda: len(served.slack.thread("C300")) == 7)
    await asyncio.sleep(0.3)
    assert len(served.slack.thread("C300")) == 7  # one thread, not three


async def test_url_verification_challenge(served: Served) -> None:
    body = json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"})
    resp = await served.http.post(served.url + "/slack/events", data=body,
                                  headers=signed(body, content_type="application/json"))
    assert resp.status == 200 and "abc123" in await resp.text()


async def test_not_in_channel_gets_an_invite_hint(served: Served) -> None:
    served.slack.fail_next("chat.postMessage", "not_in_channel")
    await served.hot_ok("2021-08-06")
    await until(lambda: len(served.slack.responses) == 1)
    assert "/invite" in served.slack.responses[0]["text"]
    assert served.slack.thread("C123") == []


async def test_slow_build_is_acked_at_once_then_posted(tmp_path: Path) -> None:
    release = asyncio.Event()

    async def builder(_store, date):  # type: ignore[no-untyped-def]
        await release.wait()
        return BuildResult(sample_digest(2, title=f"Hot Papers {date}"),
                           notes=("built on demand from Hacker News",))

    async with fake_slack() as slack:
        async for s in serve(slack, make_settings(slack, tmp_path), builder=builder):
            took = await s.hot_ok("2021-08-02")
            assert took < 2.5  # acked long before the build ends
            await until(lambda: len(slack.responses) == 1)  # "working on it"
            assert "Working on it" in slack.responses[0]["text"]
            assert slack.posts() == []
            release.set()
            await until(lambda: len(slack.thread("C123")) == 3)
            parent = slack.thread("C123")[0]
            assert "built on demand" in json.dumps(parent["blocks"])


async def test_healthz(served: Served) -> None:
    resp = await served.http.get(served.url + "/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert (body["ok"], body["latest"]) == (True, "2021-08-06") and "note" not in body
    assert body["workers"] == [] and body["queue"]["backend"] == "in-process"  # the fleet


async def test_missing_signing_secret_is_one_line(tmp_path: Path) -> None:
    from bot.errors import ConfigurationError

    async with fake_slack() as slack:
        settings = make_settings(slack, tmp_path, slack_signing_secret=None)
        core = await Core.open(settings)
        try:
            with pytest.raises(ConfigurationError, match="SLACK_SIGNING_SECRET is missing"):
                await build_web_app(core, settings)
            revoked = make_settings(slack, tmp_path, slack_bot_token="xoxb-nope")
            with pytest.raises(ConfigurationError, match="invalid_auth"):
                await build_web_app(core, revoked)
        finally:
            await core.close()


async def test_healthz_only_without_slack(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    core = await Core.open(settings)
    try:
        _, paths = await build_web_app(core, settings)
        assert "/healthz" in paths and "/" in paths  # the web archive is always served
        assert not [p for p in paths if p.startswith("/slack")]
    finally:
        await core.close()


async def test_concurrent_answers_share_the_channel_pace(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Two `/hot` at once in one channel: both threads land complete, paced together at
    the channel's rate (the fake refuses faster posting with 429)."""
    monkeypatch.setattr("adapters.slack.pacing.PER_CHANNEL_RATE", 20.0)
    async with fake_slack(rate_per_channel=20.0) as slack:
        async for s in serve(slack, make_settings(slack, tmp_path)):
            # two views (the same view twice answers with the thread: test_repeat...)
            await asyncio.gather(s.hot_ok("2021-08-06 cs.CV"), s.hot_ok("2021-08-06 cs.AI"))
            await until(lambda: len(slack.thread("C123")) == 7 + 4)
            assert slack.count("chat.postMessage", 429) == 0
            parents = [m for m in slack.thread("C123") if "thread_ts" not in m]
            assert len(parents) == 2
            sizes = []
            for parent in parents:
                replies = [m for m in slack.thread("C123") if m.get("thread_ts") == parent["ts"]]
                ranks = [m["text"].split(".")[0] for m in replies]
                assert ranks == [str(i) for i in range(1, len(replies) + 1)]
                sizes.append(len(replies))
            assert sorted(sizes) == [3, 6]


async def test_the_same_hot_again_links_the_thread_instead_of_posting_it(served: Served
                                                                         ) -> None:
    await served.hot_ok("2021-08-06 cs.CV")
    await until(lambda: len(served.slack.thread("C123")) == 7)
    await until(lambda: served.slack.count("chat.getPermalink") == 1)
    await served.hot_ok("2021-08-06 cs.cv cs.CV")
    await until(lambda: len(served.slack.responses) == 1)
    parent = served.slack.thread("C123")[0]
    link = f"https://fake.slack.com/archives/C123/p{parent['ts'].replace('.', '')}"
    answer = served.slack.responses[0]
    assert answer["response_type"] == "ephemeral" and link in answer["text"]
    await asyncio.sleep(0.2)
    assert len(served.slack.thread("C123")) == 7
