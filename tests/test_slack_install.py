"""The optional multi-workspace install (OAuth v2) in HTTP mode: /slack/install,
/slack/oauth_redirect against the fake's oauth.v2.access, the installation kept in the
project's database and used to answer that workspace's `/hot`."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.cli.serve_cmds import build_web_app
from bot.core import Core
from bot.settings import Settings
from tests.fakes.slack_api import OAUTH_ID, OAUTH_SECRET, fake_slack
from tests.slack_helpers import SIGNING_SECRET, signed, slash_body, until


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.slack_post.PER_CHANNEL_RATE", 500.0)


async def test_install_then_answer_in_the_new_workspace(tmp_path: Path) -> None:
    async with fake_slack() as slack:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'oauth.db'}",
                            slack_api_url=slack.url, slack_client_id=OAUTH_ID,
                            slack_client_secret=OAUTH_SECRET,
                            slack_signing_secret=SIGNING_SECRET)
        core = await Core.open(settings)
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
