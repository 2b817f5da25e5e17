"""adapters.registry: platforms found by name; the CLI imports none of them itself."""

from __future__ import annotations

import subprocess
import sys

import pytest

from adapters import registry
from bot.chat import ChatAdapter
from bot.errors import ConfigurationError
from bot.settings import Settings
from tests.paths import ROOT


async def test_unknown_platform_is_one_line() -> None:
    with pytest.raises(ConfigurationError, match="unknown platform 'irc'; use one of slack"):
        await registry.open_chat_adapter("irc", Settings())


async def test_console_needs_no_sdk() -> None:
    adapter = await registry.open_chat_adapter("console", Settings())
    assert isinstance(adapter, ChatAdapter)
    await adapter.close()


def test_no_platform_configured_means_no_commands_and_no_routes() -> None:
    assert registry.interactive_adapters(Settings()) == []


async def test_slack_routes_only_when_slack_is_configured() -> None:
    assert await registry.open_web_routes(None, Settings()) == []  # type: ignore[arg-type]


def test_manifest_comes_from_the_platform() -> None:
    manifest = registry.manifest("slack", "https://hp.example.org", "Hot Papers")
    assert manifest["features"]["slash_commands"][0]["url"] == \
        "https://hp.example.org/slack/events"
    with pytest.raises(ConfigurationError, match="console has no app manifest"):
        registry.manifest("console", None, "x")


def test_the_cli_loads_no_platform_sdk_until_a_platform_is_used() -> None:
    code = ("import sys, bot.cli; "
            "print(sorted(m for m in ('discord', 'slack_sdk', 'slack_bolt') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "[]"


async def test_an_unreachable_platform_leaves_its_channels_unfinished(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    """Slack's API doesn't answer: its channels are left for the next run (not skipped),
    and the platform is tried again on the next call."""
    from bot.models import Subscription
    from bot.publish import publish
    from tests import factories
    from tests.fakes.slack_api import BOT_TOKEN, fake_slack

    closed = Settings(slack_bot_token=BOT_TOKEN, slack_api_url="http://127.0.0.1:9/api/")
    pool = registry.ChatAdapters(closed)
    adapters = await pool.for_platforms({"slack"})
    assert isinstance(adapters["slack"], registry.Unreachable)
    assert "cannot reach the Slack API" in pool.unreachable["slack"]

    async def no_wait(_seconds: float) -> None:
        return None

    report = await publish(sqlite_store, adapters, factories.digest(),
                           [Subscription("slack", "C0WAIT")], sleep=no_wait)
    assert report.channels[0].status == "failed" and not report.complete
    async with fake_slack() as slack:
        pool.settings = Settings(slack_bot_token=BOT_TOKEN, slack_api_url=slack.url)
        adapters = await pool.for_platforms({"slack"})
        assert not isinstance(adapters["slack"], registry.Unreachable)
        assert pool.unreachable == {}
        await pool.close()
