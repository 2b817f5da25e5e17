"""The fake platforms of bench/scale.py, each in its own process (so neither the
benchmark's supervisor nor the other platform's fake shares its event loop):

- Slack (tests.fakes.slack_api): one bot token per workspace (`xoxb-installed-T..`), each
  channel in one workspace (another workspace's token gets `channel_not_found`), 1
  message/s per channel x factor (429 + Retry-After when faster);
- Discord (tests.fakes.discord_api): the channels spread over guilds, 5 messages per 5 s
  per route and 50 requests/s globally (x factor), nonces not de-duplicated (only the
  ledger keeps delivery exactly once).

Each child counts the distinct message keys it has stored (Slack: the key in message
metadata; Discord: the nonce the server saw, never shown to clients) and the time of the
last new one in shared memory, which the supervisor polls; on request it sends back what
every channel holds, its 429s, its requests and the CPU time it used.
"""

from __future__ import annotations

import asyncio
import collections
import multiprocessing as mp
import re
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any

DISCORD_FIRST_CHANNEL = 500_000_000_000_000_000
FIRST_GUILD = 800_000_000_000_000_100


def slack_channel(i: int) -> str:
    return f"C{i:07d}"


def slack_team(i: int, workspaces: int) -> str:
    return f"T{i % workspaces:05d}"


def slack_token(team: str) -> str:
    return f"xoxb-installed-{team}"


def discord_channel(i: int) -> int:
    return DISCORD_FIRST_CHANNEL + i


def discord_guild(i: int, guilds: int) -> int:
    return FIRST_GUILD + i % guilds


@dataclass
class Progress:
    """Shared with a fake's process: distinct keys stored, monotonic times of the first
    request and of the last new key."""

    keys: Synchronized[int]
    first: Synchronized[float]
    last: Synchronized[float]

    @classmethod
    def new(cls) -> Progress:
        return cls(mp.Value("q", 0), mp.Value("d", 0.0), mp.Value("d", 0.0))  # type: ignore[arg-type]


class FakeProcess:
    """One fake platform in a child process: `port`, `progress`, then `report()`."""

    def __init__(self, platform: str, channels: int, groups: int, factor: float) -> None:
        self.platform = platform
        self.progress = Progress.new()
        self._conn, child = mp.Pipe()
        target = _serve_slack if platform == "slack" else _serve_discord
        self.process = mp.Process(target=target, name=f"fake-{platform}", daemon=True,
                                  args=(child, self.progress, channels, groups, factor))
        self.process.start()
        self.port: int = self._conn.recv()

    def report(self) -> dict[str, Any]:
        self._conn.send("report")
        got: dict[str, Any] = self._conn.recv()
        self.process.join(30)
        return got


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _serve(conn: Connection, progress: Progress, app: Any, describe: Any) -> None:
    from aiohttp import web

    @web.middleware
    async def first_request(request: web.Request, handler: Any) -> web.StreamResponse:
        if not progress.first.value:
            progress.first.value = time.monotonic()
        response: web.StreamResponse = await handler(request)
        return response

    app.middlewares.append(first_request)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    conn.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "report"
    conn.send({**describe(), "cpu": _cpu_seconds()})
    await runner.cleanup()


def _count(progress: Progress, seen: set[str], key: object) -> None:
    if key is not None and str(key) not in seen:
        seen.add(str(key))
        progress.keys.value += 1
        progress.last.value = time.monotonic()


# --- Slack --------------------------------------------------------------------------------
def _serve_slack(conn: Connection, progress: Progress, channels: int, workspaces: int,
                 factor: float) -> None:
    from tests.fakes.slack_api import FakeSlack

    seen: set[str] = set()

    class CountingSlack(FakeSlack):
        def _chat_postMessage(self, params: dict[str, Any], token: str) -> dict[str, Any]:
            body = super()._chat_postMessage(params, token)
            if body.get("ok"):
                payload = (params.get("metadata") or {}).get("event_payload") or {}
                _count(progress, seen, payload.get("key"))
            return body

    slack = CountingSlack(rate_per_channel=1.0 * factor)
    for i in range(workspaces):
        team = f"T{i:05d}"
        slack.tokens.add(slack_token(team))
        slack.installed[slack_token(team)] = team
    for i in range(channels):
        slack.channel_teams[slack_channel(i)] = slack_team(i, workspaces)

    def describe() -> dict[str, Any]:
        held = {ch: [((m.get("metadata") or {}).get("event_payload", {}).get("key"),
                      m["ts"], m.get("thread_ts")) for m in msgs]
                for ch, msgs in slack.messages.items()}
        posts = [c for c in slack.calls if c.method == "chat.postMessage"]
        wrong = sum(1 for c in posts if c.status == 200 and c.error == "channel_not_found")
        return {"channels": held, "http429": sum(1 for c in posts if c.status == 429),
                "requests": len(slack.calls), "posts": len(posts), "wrong_token": wrong}

    asyncio.run(_serve(conn, progress, slack.app(), describe))


# --- Discord ------------------------------------------------------------------------------
def _serve_discord(conn: Connection, progress: Progress, channels: int, guilds: int,
                   factor: float) -> None:
    from tests.fakes.discord_api import FakeDiscord

    seen: set[str] = set()
    discord = FakeDiscord(route_limit=5, route_window=5.0 / factor, honour_nonce=False,
                          global_limit=round(50 * factor),
                          on_message=lambda _cid, msg: _count(progress, seen,
                                                              msg.get("_nonce")))
    for i in range(channels):
        ch = discord.add_channel(discord_channel(i), f"papers-{i}", 0)
        ch["guild_id"] = str(discord_guild(i, guilds))
    global429 = [0]
    check = discord.limits.check

    def counting_check(*args: Any) -> Any:
        refused = check(*args)
        if refused is not None and refused[0] == 429 and refused[1].get("global"):
            global429[0] += 1
        return refused

    discord.limits.check = counting_check  # type: ignore[method-assign]

    def describe() -> dict[str, Any]:
        held: dict[str, list[list[str | None]]] = {}
        for i in range(channels):
            cid = discord_channel(i)
            held[str(cid)] = [
                [discord.sent_nonce(parent),
                 *(discord.sent_nonce(m) for m in discord.thread_messages(parent["id"]))]
                for parent in discord.messages.get(cid, [])]
        limited = [c for c in discord.calls if c.status == 429]
        return {"channels": held, "http429": len(limited),
                "global429": global429[0],
                "requests": len(discord.calls),
                "by_route": dict(collections.Counter(
                    re.sub(r"\d+", "N", f"{c.method} {c.path}") for c in discord.calls))}

    asyncio.run(_serve(conn, progress, discord.app(), describe))

