"""No secret anywhere: a secret value is planted in every secret setting, the CLI runs
as real subprocesses through the commands a deployment uses (subscribe, post to every
platform, a failing post, build, run --once, status, subscriptions, serve with signed
and unsigned requests, a wrong setting, a revoked token), and every line of output and
log, and every row of every table of the database, is searched for each secret."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.adapters.slack.helpers import slash_body
from tests.adapters.slack.test_signatures import sign
from tests.dump import dump_sqlite
from tests.fakes.discord_api import TEXT_CHANNEL_ID, running_fake_discord
from tests.fakes.slack_api import fake_slack
from tests.paths import SAMPLE_POST

pytestmark = pytest.mark.slow

WEBHOOK_TOKENS = {name: f"planted{name}Webhook0Token" + "z" * 40
                  for name in ("lab", "default", "typed")}
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-planted-bot-0001",
    "SLACK_APP_TOKEN": "xapp-planted-app-0002",
    "SLACK_SIGNING_SECRET": "planted-signing-secret-0003",
    "SLACK_CLIENT_SECRET": "planted-client-secret-0004",
    "DISCORD_TOKEN": "planted-discord-token-0005",
    "HOTPAPERS_X_BEARER_TOKEN": "planted-x-bearer-0007",
    "HOTPAPERS_BLUESKY_APP_PASSWORD": "planted-bsky-pass-0008",
}
OWN_PREFIXES = ("HOTPAPERS_", "SLACK_", "DISCORD_")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def cli(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 90)
    return proc.returncode or 0, out.decode()


async def serve_briefly(env: dict[str, str], cwd: Path) -> str:
    """`hotpapers serve -v`: a signed /hot, a badly signed one, an unsigned one with a
    secret in its body, the OAuth install page; then SIGINT."""
    port = free_port()
    log = cwd / "serve.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "-v", "--port", str(port), env=env, cwd=cwd,
            stdout=out, stderr=asyncio.subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    async with http.get(base + "/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.2)
            body = slash_body("help", "http://127.0.0.1:9/_response/x", channel="C0SEC").encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            for h in (sign(body, secret=SECRETS["SLACK_SIGNING_SECRET"]), sign(body), {}):
                async with http.post(base + "/slack/events", data=body, headers=headers | h):
                    pass
            leak = f"token={SECRETS['SLACK_BOT_TOKEN']}&text={SECRETS['DISCORD_TOKEN']}".encode()
            async with http.post(base + "/slack/events", data=leak, headers=headers):
                pass
            async with http.get(base + "/slack/install", allow_redirects=False):
                pass
            await asyncio.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    return log.read_text()


async def test_planted_secrets_appear_in_no_output_log_or_table(tmp_path: Path) -> None:
    db = tmp_path / "secrets.db"
    outputs: dict[str, str] = {}
    async with fake_slack(tokens={SECRETS["SLACK_BOT_TOKEN"], SECRETS["SLACK_APP_TOKEN"]}) \
            as slack, running_fake_discord(token=SECRETS["DISCORD_TOKEN"]) as discord:
        hooks = {}
        for name, token in WEBHOOK_TOKENS.items():
            wid = discord.new_id()
            discord.webhooks[wid] = (token, TEXT_CHANNEL_ID)
            hooks[name] = f"https://discord.com/api/webhooks/{wid}/{token}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
        env |= SECRETS | {
            "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
            "SLACK_API_URL": slack.url, "SLACK_CLIENT_ID": "111.222",
            "DISCORD_API_URL": discord.base_url, "DISCORD_GATEWAY_URL": discord.gateway_url,
            "DISCORD_WEBHOOK_URL": hooks["default"],
            "HOTPAPERS_DISCORD_WEBHOOKS": json.dumps({"lab": hooks["lab"]}),
            "HOTPAPERS_BLUESKY_HANDLE": "someone.bsky.social",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        code, outputs["import"] = await cli(env, tmp_path, "import", str(SAMPLE_POST))
        assert code == 0, outputs["import"]
        for target in ("slack:C0SEC", f"discord:{TEXT_CHANNEL_ID}", "webhook:lab",
                       "webhook:default"):
            code, outputs[f"subscribe {target}"] = await cli(env, tmp_path, "subscribe", target)
            assert code == 0, outputs[f"subscribe {target}"]
        code, outputs["post"] = await cli(
            env, tmp_path, "post", "-v", "--date", "2021-08-06", "--category", "cs.CV",
            "--to", "slack:C0SEC", "--to", f"discord:{TEXT_CHANNEL_ID}", "--to", "webhook:lab",
            "--to", "webhook:default", "--to", f"webhook:{hooks['typed']}")
        assert code == 0 and outputs["post"].count("7 of 7 messages sent") == 5, outputs["post"]
        slack.fail_next("chat.postMessage", "channel_not_found")
        discord.webhooks.clear()
        code, outputs["failing post"] = await cli(
            env, tmp_path, "post", "-v", "--date", "2021-08-06", "--force",
            "--to", "slack:C0GONE", "--to", "webhook:lab", "--to", f"webhook:{hooks['typed']}")
        assert code != 0
        code, outputs["build"] = await cli(env, tmp_path, "build", "--date", "2021-08-05",
                                           "--sources", "hn,hf,bluesky,x")
        code, outputs["run --once"] = await cli(env, tmp_path, "run", "--once")
        for args in (["status"], ["status", "-f", "json"], ["subscriptions"],
                     ["subscriptions", "-f", "json"]):
            code, outputs[" ".join(args)] = await cli(env, tmp_path, *args)
            assert code == 0, outputs[" ".join(args)]
        outputs["serve"] = await serve_briefly(env, tmp_path)
        assert "refused a request" in outputs["serve"], outputs["serve"]
        code, outputs["wrong setting"] = await cli(env | {"HOTPAPERS_POST_TIME": "25:00"},
                                                   tmp_path, "status")
        assert code == 2
        revoked = env | {"SLACK_BOT_TOKEN": "xoxb-planted-revoked-0009", "SLACK_CLIENT_ID": ""}
        code, outputs["revoked"] = await cli(revoked, tmp_path, "post", "--to", "slack:C0SEC")
        assert code != 0 and "SLACK_BOT_TOKEN was rejected" in outputs["revoked"]
    outputs["database"] = dump_sqlite(db)
    planted = [*SECRETS.values(), *WEBHOOK_TOKENS.values(), "xoxb-planted-revoked-0009"]
    for where, text in outputs.items():
        for secret in planted:
            assert secret not in text, f"{secret!r} in the output of {where}:\n{text[-2000:]}"
        assert "Traceback" not in text, f"a traceback in {where}:\n{text[-3000:]}"
    assert "webhook:lab" in outputs["subscriptions"]
