"""The optional multi-workspace install (OAuth v2) in HTTP mode: /slack/install,
/slack/oauth_redirect against the fake's oauth.v2.access, the installation kept in the
project's database and used to answer that workspace's `/hot`, and the daily post
reaching every installed workspace with its own bot token."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.registry import open_chat_adapter
from adapters.slack.post import SlackChatAdapter
from bot.cli.serve_cmds import build_web_app
from bot.core import Core
from bot.errors import ConfigurationError
from bot.filters import view
from bot.models import Subscription
from bot.publish import Mode, publish
from bot.settings import Settings
from bot.store import Store
from tests.adapters.slack.helpers import SIGNING_SECRET, sample_digest, signed, slash_body, until
from tests.fakes.digests import store_sample
from tests.fakes.slack_api import (
    ADMIN,
    BOT_TOKEN,
    OAUTH_ID,
    OAUTH_SECRET,
    TEAM_ID,
    FakeSlack,
    fake_slack,
)


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.slack.pacing.PER_CHANNEL_RATE", 500.0)


async def test_install_then_answer_in_the_new_workspace(tmp_path: Path) -> None:
    async with fake_slack() as slack:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'oauth.db'}",
                            slack_api_url=slack.url, slack_client_id=OAUTH_ID,
                            slack_client_secret=OAUTH_SECRET,
                            slack_signing_secret=SIGNING_SECRET)
        core = await Core.open(settings)
        await store_sample(core.store)
        web_app, paths = await build_web_app(core, settings)
        assert {"/slack/events", "/slack/install", "/slack/oauth_redirect"} <= set(paths)
        server = TestServer(web_app, host="127.0.0.1")
        await server.start_server()
        base = str(server.make_url("")).rstrip("/")
        try:
            async with aiohttp.ClientSession() as http:
                page = await http.get(base + "/slack/install", allow_redirects=False)
                assert page.status in (200, 302)
                html = await page.text()
                target = page.headers.get("Location") or re.search(
                    r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', html).group(1)  # type: ignore[union-attr]
                query = parse_qs(urlparse(target.replace("&amp;", "&")).query)
                assert query["client_id"] == [OAUTH_ID]
                assert "commands" in query["scope"][0] and "chat:write" in query["scope"][0]
                state = query["state"][0]
                cookie = page.headers["Set-Cookie"].split(";")[0]

                bad = await http.get(base + "/slack/oauth_redirect",
                                     params={"code": "0002", "state": "forged"},
                                     headers={"Cookie": cookie})
                assert bad.status >= 400
                done = await http.get(base + "/slack/oauth_redirect",
                                      params={"code": "0002", "state": state},
                                      headers={"Cookie": cookie})
                assert done.status == 200, await done.text()
                assert slack.count("oauth.v2.access") == 1

                body = slash_body("2021-08-06 cs.CV", slack.response_url(), team="T0002",
                                  channel="C900")
                resp = await http.post(base + "/slack/events", data=body, headers=signed(body))
                assert resp.status == 200
                await until(lambda: len(slack.thread("C900")) == 7)
                assert {c.token for c in slack.posts("C900")} == {"xoxb-installed-0002"}
        finally:
            await server.close()
            await core.close()


def test_manifest_for_socket_mode_and_http_mode() -> None:
    import json

    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    socket = json.loads(runner.invoke(app, ["slack-manifest"]).output)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert socket["features"]["slash_commands"][0]["command"] == "/hot"
    assert "url" not in socket["features"]["slash_commands"][0]
    http = json.loads(runner.invoke(app, ["slack-manifest", "--url",
                                          "https://hp.example.org/"]).output)
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["event_subscriptions"]["request_url"] == (
        "https://hp.example.org/slack/events")
    assert http["oauth_config"]["redirect_urls"] == ["https://hp.example.org/slack/oauth_redirect"]
    assert {"commands", "chat:write", "channels:history"} <= set(
        http["oauth_config"]["scopes"]["bot"])
    bad = runner.invoke(app, ["slack-manifest", "--url", "http://plain"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


# --- the daily post in OAuth mode: every installed workspace with its own token ---------

@asynccontextmanager
async def serving(slack: FakeSlack, tmp_path: Path, **extra: Any
                  ) -> AsyncIterator[tuple[Core, Settings, str, aiohttp.ClientSession]]:
    """`hotpapers serve` in OAuth mode on the fake Slack: (core, settings, base url, http)."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'oauth.db'}",
                        slack_api_url=slack.url, slack_client_id=OAUTH_ID,
                        slack_client_secret=OAUTH_SECRET, slack_signing_secret=SIGNING_SECRET,
                        **extra)
    core = await Core.open(settings)
    web_app, _ = await build_web_app(core, settings)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield core, settings, str(server.make_url("")).rstrip("/"), http
    finally:
        await server.close()
        await core.close()


async def install(http: aiohttp.ClientSession, base: str, code: str) -> None:
    """A workspace installs the app through the real OAuth flow (team T<code>)."""
    page = await http.get(base + "/slack/install", allow_redirects=False)
    target = page.headers.get("Location") or re.search(
        r'href="(https://slack.com/oauth/v2/authorize[^"]+)"', await page.text()).group(1)  # type: ignore[union-attr]
    state = parse_qs(urlparse(target.replace("&amp;", "&")).query)["state"][0]
    done = await http.get(base + "/slack/oauth_redirect", params={"code": code, "state": state},
                          headers={"Cookie": page.headers["Set-Cookie"].split(";")[0]})
    assert done.status == 200, await done.text()


async def subscribe(core: Core, slack: FakeSlack, http: aiohttp.ClientSession, base: str,
                    team: str, channel: str) -> Subscription:
    """`/hot subscribe cs.LG` typed in `channel` of workspace `team` (signed HTTP)."""
    body = slash_body("subscribe cs.LG", slack.response_url(), team=team, channel=channel,
                      user=ADMIN)
    resp = await http.post(base + "/slack/events", data=body, headers=signed(body))
    assert resp.status == 200
    for _ in range(500):
        sub = await core.store.get_subscription("slack", channel)
        if sub is not None:
            assert sub.workspace == team
            return sub
        await asyncio.sleep(0.02)
    raise AssertionError(f"no subscription for {channel}")


def assert_thread(slack: FakeSlack, channel: str, papers: int, token: str) -> None:
    """Parent then one reply per paper in the parent's thread, all with `token`."""
    msgs = slack.thread(channel)
    assert len(msgs) == papers + 1
    assert "thread_ts" not in msgs[0]
    assert [m.get("thread_ts") for m in msgs[1:]] == [msgs[0]["ts"]] * papers
    assert [c.token for c in slack.posts(channel)] == [token] * (papers + 1)


async def test_daily_post_reaches_each_installed_workspace_with_its_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="adapters")
    digest = sample_digest(5)
    async with fake_slack() as slack, serving(slack, tmp_path) as (core, settings, base, http):
        await install(http, base, "0002")
        await install(http, base, "0003")
        two = await subscribe(core, slack, http, base, "T0002", "C200")
        three = await subscribe(core, slack, http, base, "T0003", "C300")
        await core.store.save_subscription(Subscription("slack", "C900", workspace="T0009"))
        papers = len(view(digest, two).papers)
        assert papers == len(view(digest, three).papers) == 4

        caplog.clear()  # slack_sdk's own DEBUG log of oauth.v2.access holds the new tokens
        adapter = await open_chat_adapter("slack", settings)
        try:
            assert adapter.platform == "slack" and not isinstance(adapter, SlackChatAdapter)
            report = await publish(core.store, {"slack": adapter}, digest,
                                   await core.store.list_subscriptions("slack"), backoff=0)
        finally:
            await adapter.close()

        status = {c.channel: c for c in report.channels}
        assert status["C200"].status == status["C300"].status == "done"
        assert status["C200"].sent == status["C300"].sent == papers + 1
        assert_thread(slack, "C200", papers, "xoxb-installed-0002")
        assert_thread(slack, "C300", papers, "xoxb-installed-0003")

        # The uninstalled workspace's channel: nothing sent, paused with a clear reason.
        assert status["C900"].status == "paused"
        assert "T0009" in status["C900"].detail and "install" in status["C900"].detail
        assert not [c for c in slack.calls if c.params.get("channel") == "C900"]
        paused = await core.store.get_subscription("slack", "C900")
        assert paused is not None and paused.paused and "T0009" in paused.pause_reason
        assert "xoxb-" not in caplog.text + "".join(c.detail for c in report.channels)


async def test_fallback_token_and_revoked_installation(tmp_path: Path) -> None:
    digest = sample_digest(3)
    async with fake_slack() as slack, serving(slack, tmp_path, slack_bot_token=BOT_TOKEN) as (
            core, settings, base, http):
        await install(http, base, "0002")
        await install(http, base, "0003")
        two = await subscribe(core, slack, http, base, "T0002", "C200")
        await subscribe(core, slack, http, base, "T0003", "C300")
        # The fallback token's own workspace (not installed) and a channel added by hand.
        await core.store.save_subscription(Subscription("slack", "C100", workspace=TEAM_ID))
        await core.store.save_subscription(Subscription("slack", "C101"))
        slack.revoked.add("xoxb-installed-0003")  # T0003 removed the app

        adapter = await open_chat_adapter("slack", settings)
        try:
            report = await publish(core.store, {"slack": adapter}, digest,
                                   await core.store.list_subscriptions("slack"), backoff=0)
        finally:
            await adapter.close()

        status = {c.channel: c for c in report.channels}
        papers = len(view(digest, two).papers)
        assert_thread(slack, "C200", papers, "xoxb-installed-0002")
        assert_thread(slack, "C100", len(digest.papers), BOT_TOKEN)
        assert_thread(slack, "C101", len(digest.papers), BOT_TOKEN)
        assert status["C300"].status == "paused" and slack.thread("C300") == []
        assert "token_revoked" in status["C300"].detail
        assert "xoxb-" not in status["C300"].detail
        assert report.count("done") == 3


async def test_a_reinstalled_workspace_posts_with_its_new_token(tmp_path: Path) -> None:
    """Installations stored directly: the adapter caches a workspace's client, the token is
    revoked and the workspace installs again; the next post reads the new installation."""
    from slack_sdk.oauth.installation_store import Installation

    from adapters.slack.install import installation_store

    async with fake_slack() as slack:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}",
                            slack_api_url=slack.url, slack_client_id=OAUTH_ID,
                            slack_client_secret=OAUTH_SECRET)
        core = await Core.open(settings)
        installations = await installation_store(settings, core.store.engine)

        async def installed(team: str, token: str) -> None:
            slack.tokens.add(token)
            await installations.async_save(Installation(
                app_id="A0001", team_id=team, bot_token=token, bot_id="B0BOT",
                bot_user_id="U0BOT", bot_scopes="chat:write", user_id="U0INSTALLER"))

        await installed("T0004", "xoxb-first-0004")
        await core.store.save_subscription(Subscription("slack", "C400", workspace="T0004"))
        adapter = await open_chat_adapter("slack", settings)
        try:
            sub = Subscription("slack", "C400", workspace="T0004")
            first = await publish(core.store, {"slack": adapter}, sample_digest(1), [sub],
                                  mode=Mode.POST)
            slack.revoked.add("xoxb-first-0004")
            await installed("T0004", "xoxb-second-0004")
            report = await publish(core.store, {"slack": adapter}, sample_digest(2), [sub],
                                   backoff=0, mode=Mode.AGAIN)
        finally:
            await adapter.close()
            await core.close()
        assert first.sent == 2 and report.count("done") == 1 and report.sent == 3
        tokens = [c.token for c in slack.posts("C400")]
        assert tokens == ["xoxb-first-0004"] * 2 + ["xoxb-second-0004"] * 3


async def test_oauth_mode_checks_the_fallback_token(tmp_path: Path) -> None:
    async with fake_slack() as slack:
        slack.revoked.add("xoxb-gone-secret")
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'o.db'}",
                            slack_api_url=slack.url, slack_client_id=OAUTH_ID,
                            slack_client_secret=OAUTH_SECRET, slack_bot_token="xoxb-gone-secret")
        with pytest.raises(ConfigurationError) as err:
            await open_chat_adapter("slack", settings)
        assert "token_revoked" in str(err.value) and "xoxb-gone" not in str(err.value)


async def test_without_oauth_posting_uses_the_bot_token_as_before(tmp_path: Path) -> None:
    async with fake_slack() as slack:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}",
                            slack_api_url=slack.url, slack_bot_token=BOT_TOKEN)
        adapter = await open_chat_adapter("slack", settings)
        try:
            assert isinstance(adapter, SlackChatAdapter)
            store = await Store.open(settings.database_url)
            report = await publish(store, {"slack": adapter}, sample_digest(2),
                                   [Subscription("slack", "C500")], mode=Mode.POST)
            await store.close()
        finally:
            await adapter.close()
        assert report.sent == 3
        assert_thread(slack, "C500", 2, BOT_TOKEN)
