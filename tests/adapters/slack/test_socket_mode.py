"""Socket Mode: the real slack-bolt handler (slack_sdk's aiohttp client) connects to a
local websocket server through the fake Web API's apps.connections.open, acks envelopes
and posts answers to the fake Slack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.slack import SlackInteractive, interactive_adapter
from bot.chat import InteractiveAdapter
from bot.core import Core
from bot.errors import ConfigurationError
from bot.models import Answer, Command
from bot.settings import Settings
from tests.adapters.slack.helpers import sample_digest, until
from tests.fakes.digests import store_sample
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack, fake_slack
from tests.fakes.slack_socket import FakeSocketMode, fake_socket_mode


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.slack.pacing.PER_CHANNEL_RATE", 500.0)
    monkeypatch.setattr("adapters.slack.client.RETRY_BACKOFF", 0.01)


@dataclass
class Running:
    slack: FakeSlack
    socket: FakeSocketMode
    adapter: SlackInteractive
    core: Core


def settings_for(slack: FakeSlack, tmp_path: Path, app_token: str = APP_TOKEN) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sm.db'}",
                    slack_api_url=slack.url, slack_bot_token=BOT_TOKEN,
                    slack_app_token=app_token)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with fake_slack() as slack, fake_socket_mode() as socket:
        slack.socket_url = socket.url
        settings = settings_for(slack, tmp_path)
        core = await Core.open(settings)
        await store_sample(core.store)
        adapter = interactive_adapter(settings)
        assert adapter is not None
        task = asyncio.create_task(adapter.start(core))
        try:
            await socket.wait_connected()
            yield Running(slack, socket, adapter, core)
        finally:
            await adapter.close()
            await asyncio.wait_for(task, 5)
            await core.close()


def slash(text: str, channel: str = "C500", user: str = "U0USER") -> dict[str, str]:
    return {"token": "legacy", "team_id": "T0001", "channel_id": channel, "user_id": user,
            "command": "/hot", "text": text, "api_app_id": "A0001",
            "trigger_id": f"trig.{time.time_ns()}", "response_url": ""}


def test_interactive_adapter_needs_both_tokens(tmp_path: Path) -> None:
    assert interactive_adapter(Settings()) is None
    assert interactive_adapter(Settings(slack_bot_token="xoxb-1")) is None
    adapter = interactive_adapter(Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1"))
    assert isinstance(adapter, InteractiveAdapter)


async def test_slash_command_over_socket_mode_posts_the_thread(running: Running) -> None:
    start = time.monotonic()
    ack = await running.socket.send("slash_commands", slash("2021-08-06"))
    assert time.monotonic() - start < 3.0
    assert "envelope_id" in ack
    await until(lambda: len(running.slack.thread("C500")) == 12)
    thread = running.slack.thread("C500")
    assert all(m["thread_ts"] == thread[0]["ts"] for m in thread[1:])
    assert running.slack.count("apps.connections.open") == 1


async def test_ephemeral_answers_without_response_url_use_post_ephemeral(running: Running
                                                                         ) -> None:
    payload = slash("subscribe cs.CV", user="U0ADMIN")
    payload.pop("response_url")
    await running.socket.send("slash_commands", payload)
    await until(lambda: len(running.slack.ephemeral) == 1)
    assert running.slack.ephemeral[0]["user"] == "U0ADMIN"
    sub = await running.core.store.get_subscription("slack", "C500")
    assert sub is not None and sub.categories == ("cs.CV",)


async def test_redelivered_event_envelope_posts_once(running: Running) -> None:
    event = {"team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
             "event_id": "EvSock1", "event_time": 1,
             "event": {"type": "app_mention", "user": "U0USER", "text": "<@U0BOT> 2021-08-06",
                       "ts": "2.000001", "channel": "C600", "event_ts": "2.000001"}}
    await running.socket.send("events_api", event)
    await running.socket.send("events_api", event, retry_attempt=1)
    await until(lambda: len(running.slack.thread("C600")) == 12)
    await asyncio.sleep(0.3)
    assert len(running.slack.thread("C600")) == 12


async def test_reply_posts_a_digest_answer(running: Running) -> None:
    cmd = Command(name="hot", args=(), platform="slack", channel="C700", user="U1",
                  can_manage_channel=False)
    await running.adapter.reply(cmd, Answer(text="x", digest=sample_digest(2)))
    assert len(running.slack.thread("C700")) == 3
    await running.adapter.reply(cmd, Answer(text="only you", ephemeral=True))
    assert running.slack.ephemeral[-1]["text"] == "only you"


async def test_rejected_app_token_is_a_one_line_error(tmp_path: Path) -> None:
    async with fake_slack() as slack, fake_socket_mode() as socket:
        slack.socket_url = socket.url
        settings = settings_for(slack, tmp_path, app_token="xapp-revoked")
        core = await Core.open(settings)
        adapter = SlackInteractive(settings)
        try:
            with pytest.raises(ConfigurationError, match="SLACK_APP_TOKEN was rejected") as info:
                await adapter.start(core)
            assert "xapp-revoked" not in str(info.value)
            assert socket.connections == 0
        finally:
            await core.close()


async def test_socket_fake_speaks_hello_and_acks_are_json(running: Running) -> None:
    ack = await running.socket.send("slash_commands", slash("help"))
    assert json.loads(json.dumps(ack))["envelope_id"]
    assert running.socket.connections == 1


async def test_reconnects_after_the_server_drops_the_connection(running: Running) -> None:
    await running.socket.drop()
    await until(lambda: running.socket.connections == 2, wait=15)
    ack = await running.socket.send("slash_commands", slash("2021-08-06 cs.CV", "C800"))
    assert ack["envelope_id"]
    await until(lambda: len(running.slack.thread("C800")) == 7)
