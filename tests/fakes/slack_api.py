"""A fake Slack Web API: a real aiohttp server on 127.0.0.1 that the real slack_sdk /
slack-bolt clients talk to (`AsyncWebClient(base_url=fake.url)`).

It implements auth.test, chat.postMessage, chat.postEphemeral, chat.getPermalink,
conversations.history, conversations.replies (cursor paging, `oldest`, at most `max_page`
messages a page like Slack's own cap), users.info and conversations.info (who may manage
a channel: `fake.users`, `fake.channels`, `fake.usergroups`), usergroups.users.list,
apps.connections.open (pointing at a socket-mode fake) and a
`response_url` endpoint (`fake.response_url(name)`). It records every call, assigns
increasing `ts` from the clock (as Slack does), keeps the messages per channel (with
thread_ts and metadata), enforces a per-channel message rate with HTTP 429 + an integer
`Retry-After`, rejects Block Kit over Slack's limits (`invalid_blocks`) and fails on
command (`fake.fail_next(...)`): before or after doing the work, with an error answer or
by dropping the connection.

Use:
    async with fake_slack(rate_per_channel=1000) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.url)
        ...
        slack.thread("C123")  # parent then replies
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.test_utils import TestServer

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
TEAM_ID = "T0001"
BOT_USER = "U0BOT"
OAUTH_ID, OAUTH_SECRET = "111.222", "oauth-secret"
POSTING = {"chat.postMessage", "chat.postEphemeral"}
# The workspace's people: an ordinary member (slash commands come from them by default),
# an admin, an owner, and the member who created every channel (unless told otherwise).
MEMBER, ADMIN, OWNER, CREATOR = "U0USER", "U0ADMIN", "U0OWNER", "U0CREATOR"


def default_users() -> dict[str, dict[str, Any]]:
    return {MEMBER: {}, CREATOR: {}, ADMIN: {"is_admin": True},
            OWNER: {"is_owner": True, "is_primary_owner": True}}
MAX_BLOCKS, MAX_SECTION, MAX_HEADER, MAX_TOTAL = 50, 3000, 150, 12000


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    error: str | None = None
    at: float = 0.0
    token: str = ""


@dataclass
class Failure:
    error: str
    status: int = 200
    times: int = 1
    retry_after: int = 0
    after: bool = False  # do the work, then fail (the reply is lost, the message posted)
    drop: bool = False  # close the connection instead of answering
    skip: int = 0  # let this many calls through first


@dataclass
class FakeSlack:
    # messages per second per channel, 429 when faster (None: no limit)
    rate_per_channel: float | None = None
    retry_after: int | None = None  # the Retry-After to send (None: seconds until allowed)
    latency: float = 0.0
    max_page: int = 1000  # conversations.* return at most this many messages a page
    tokens: set[str] = field(default_factory=lambda: {BOT_TOKEN, APP_TOKEN})
    revoked: set[str] = field(default_factory=set)
    installed: dict[str, str] = field(default_factory=dict)  # bot token -> team (OAuth)
    # channel -> its workspace (team id): another workspace's token gets channel_not_found,
    # as on Slack (channels not listed here take any token)
    channel_teams: dict[str, str] = field(default_factory=dict)
    socket_url: str = ""  # what apps.connections.open answers
    users: dict[str, dict[str, Any]] = field(default_factory=default_users)  # id -> flags
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> info (creator)
    usergroups: dict[str, list[str]] = field(default_factory=dict)  # S... -> user ids
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    ephemeral: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)  # posted to response_url
    url: str = ""
    _failures: dict[str, list[Failure]] = field(default_factory=lambda: defaultdict(list))
    _last_post: dict[str, float] = field(default_factory=dict)
    _ts: float = 0.0

    # --- driving the fake from a test ---------------------------------------------------
    def fail_next(self, method: str, error: str, *, status: int = 200, times: int = 1,
                  retry_after: int = 0, after: bool = False, drop: bool = False,
                  skip: int = 0) -> None:
        """The next `times` calls of `method` (after `skip` that go through) fail with
        `error` (status 429 or 5xx too); `after`: the call takes effect first (a post
        lands, but the client sees a failure); `drop`: the connection is closed instead
        of answering."""
        self._failures[method].append(Failure(error, status, times, retry_after, after, drop,
                                              skip))

    def response_url(self, name: str = "r1") -> str:
        return self.url.removesuffix("api/") + f"_response/{name}"

    def posts(self, channel: str | None = None) -> list[Call]:
        """Successful chat.postMessage calls (to `channel`), in order."""
        return [c for c in self.calls if c.method == "chat.postMessage" and c.status == 200
                and c.error is None and (channel is None or c.params.get("channel") == channel)]

    def thread(self, channel: str) -> list[dict[str, Any]]:
        """The channel's stored messages in the order they were posted."""
        return list(self.messages[channel])

    def count(self, method: str, status: int | None = None) -> int:
        return sum(1 for c in self.calls if c.method == method
                   and (status is None or c.status == status))

    # --- the server -------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/_response/{name}", self._respond)
        return app

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                params.update(json.loads(raw or b"{}"))
            else:
                params.update(parse_qsl(raw.decode()))
        for k in ("blocks", "metadata"):
            if isinstance(params.get(k), str):
                params[k] = json.loads(params[k])
        return params

    def _reply(self, call: Call, body: dict[str, Any], status: int = 200,
               headers: dict[str, str] | None = None) -> web.Response:
        call.status = status
        call.error = None if body.get("ok") else str(body.get("error"))
        return web.json_response(body, status=status, headers=headers)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._serve(request)
        except _Dropped:
            assert request.transport is not None
            request.transport.close()  # the client sees the connection drop, no answer
            return web.Response(status=500)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        import asyncio

        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params, 0, at=time.monotonic())
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        if method == "oauth.v2.access":  # authenticated by client id/secret, not a token
            auth = request.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                params |= {"client_id": client_id, "client_secret": secret}
            return self._reply(call, self._oauth_v2_access(params))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(params.get("token", ""))
        call.token = token
        if not token:
            return self._reply(call, {"ok": False, "error": "not_authed"})
        if token in self.revoked:
            return self._reply(call, {"ok": False, "error": "token_revoked"})
        if token not in self.tokens:
            return self._reply(call, {"ok": False, "error": "invalid_auth"})
        queued = self._failures.get(method)
        failure = None
        if queued and queued[0].skip > 0:
            queued[0].skip -= 1
        elif queued:
            failure = queued[0]
            failure.times -= 1
            if failure.times <= 0:
                queued.pop(0)
            if not failure.after:
                return self._fail(call, failure)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return self._reply(call, {"ok": False, "error": "unknown_method"}, 404)
        team = self.channel_teams.get(str(params.get("channel", "")))
        if team is not None and self.installed.get(token, TEAM_ID) != team:
            return self._reply(call, {"ok": False, "error": "channel_not_found"})
        if method in POSTING:
            limited = self._rate_limited(str(params.get("channel", "")))
            if limited is not None:
                return self._reply(call, {"ok": False, "error": "ratelimited"}, 429,
                                   {"Retry-After": str(limited)})
            problem = block_problems(params)
            if problem:
                return self._reply(call, {"ok": False, "error": "invalid_blocks",
                                          "errors": [problem]})
        body: dict[str, Any] = handler(params, token)
        if failure is not None:
            return self._fail(call, failure)
        return self._reply(call, body)

    def _fail(self, call: Call, f: Failure) -> web.Response:
        if f.drop:
            call.status, call.error = 0, "dropped"
            raise _Dropped
        headers = {"Retry-After": str(f.retry_after)} if f.status == 429 else None
        return self._reply(call, {"ok": False, "error": f.error}, f.status, headers)

    def _rate_limited(self, channel: str) -> int | None:
        if self.rate_per_channel is None:
            return None
        now = time.monotonic()
        gap = 1.0 / self.rate_per_channel
        last = self._last_post.get(channel)
        if last is not None and now - last < gap * 0.95:
            wait = gap - (now - last)
            return self.retry_after if self.retry_after is not None else max(1, math.ceil(wait))
        self._last_post[channel] = now
        return None

    def _next_ts(self) -> str:
        """Now, in Slack's `seconds.micro` form, always increasing."""
        self._ts = max(round(time.time(), 6), round(self._ts + 0.000001, 6))
        return f"{self._ts:.6f}"

    def _auth_test(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        team = self.installed.get(token, TEAM_ID)
        return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "hotpapers",
                "team_id": team, "user_id": BOT_USER, "bot_id": "B0BOT"}

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        """Installs the app in team `T<code>`: a new bot token for that team."""
        code = str(params.get("code", ""))
        if not code or params.get("client_secret") != OAUTH_SECRET:
            return {"ok": False, "error": "invalid_code"}
        team, token = f"T{code}", f"xoxb-installed-{code}"
        self.tokens.add(token)
        self.installed[token] = team
        return {"ok": True, "app_id": "A0001", "access_token": token, "token_type": "bot",
                "scope": "commands,chat:write", "bot_user_id": BOT_USER,
                "team": {"id": team, "name": f"Team {code}"}, "enterprise": None,
                "authed_user": {"id": "U0INSTALLER"}, "is_enterprise_install": False}

    def _apps_connections_open(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}

    def _chat_postMessage(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if not channel.startswith(("C", "G", "D")):
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        thread_ts = params.get("thread_ts")
        stored = self.messages[channel]
        if thread_ts and not any(m["ts"] == thread_ts for m in stored):
            return {"ok": False, "error": "thread_not_found"}
        ts = self._next_ts()
        msg = {"type": "message", "user": BOT_USER, "ts": ts, "text": params.get("text", ""),
               "blocks": params.get("blocks") or [], "metadata": params.get("metadata")}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        stored.append(msg)
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _users_info(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        uid = str(params.get("user", ""))
        if uid not in self.users:
            return {"ok": False, "error": "user_not_found"}
        flags = {"is_admin": False, "is_owner": False, "is_primary_owner": False} | self.users[uid]
        return {"ok": True, "user": {"id": uid, "team_id": TEAM_ID, "name": uid.lower(),
                                     "deleted": False, "is_bot": False, **flags}}

    def _conversations_info(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        cid = str(params.get("channel", ""))
        if not cid.startswith(("C", "G", "D")):
            return {"ok": False, "error": "channel_not_found"}
        if cid.startswith("D"):
            info: dict[str, Any] = {"id": cid, "is_im": True, "user": MEMBER}
        else:
            info = {"id": cid, "name": cid.lower(), "is_channel": True, "is_im": False,
                    "creator": CREATOR}
        return {"ok": True, "channel": info | self.channels.get(cid, {})}

    def _usergroups_users_list(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        group = str(params.get("usergroup", ""))
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _chat_getPermalink(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        channel, ts = str(params.get("channel", "")), str(params.get("message_ts", ""))
        if not any(m["ts"] == ts for m in self.messages.get(channel, [])):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel,
                "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"}

    def _chat_postEphemeral(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        self.ephemeral.append(params)
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_history(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        oldest = float(params.get("oldest") or 0)
        msgs = [m for m in self.messages.get(str(params.get("channel")), [])
                if ("thread_ts" not in m or m["thread_ts"] == m["ts"])
                and float(m["ts"]) > oldest]
        return self._page(list(reversed(msgs)), params)  # newest first, like Slack

    def _conversations_replies(self, params: dict[str, Any], token: str) -> dict[str, Any]:
        ts = str(params.get("ts"))
        msgs = [m for m in self.messages.get(str(params.get("channel")), [])
                if m["ts"] == ts or m.get("thread_ts") == ts]
        if not msgs:
            return {"ok": False, "error": "thread_not_found"}
        oldest = float(params.get("oldest") or 0)  # the parent always comes first
        msgs = [m for m in msgs if m["ts"] == ts or float(m["ts"]) > oldest]
        return self._page(msgs, params)

    def _page(self, msgs: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        limit = min(int(params.get("limit") or 100), self.max_page)
        start = int(params.get("cursor") or 0)
        page = msgs[start:start + limit]
        if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(msgs)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_name"] = request.match_info["name"]
        self.responses.append(body)
        return web.Response(text="ok")


class _Dropped(Exception):
    """Raised inside a handler to drop the connection instead of answering."""


def block_problems(params: dict[str, Any]) -> str | None:
    """Slack's Block Kit limits, checked independently of the renderer."""
    blocks = params.get("blocks") or []
    if len(blocks) > MAX_BLOCKS:
        return f"too many blocks ({len(blocks)})"
    total = 0
    for i, b in enumerate(blocks):
        kind = b.get("type")
        if kind == "header":
            t = b["text"]
            if t.get("type") != "plain_text" or not 0 < len(t["text"].strip()) <= MAX_HEADER:
                return f"blocks[{i}].text must be plain_text of at most {MAX_HEADER} chars"
            total += len(t["text"])
        elif kind == "section":
            if not 0 < len(b["text"]["text"].strip()) <= MAX_SECTION:
                return f"blocks[{i}].text must hold 1 to {MAX_SECTION} chars"
            total += len(b["text"]["text"])
        elif kind == "context":
            if not 0 < len(b["elements"]) <= 10:
                return f"blocks[{i}].elements must hold 1 to 10 items"
            if any(not e.get("text", "x").strip() for e in b["elements"]):
                return f"blocks[{i}].elements hold an empty text"
            total += sum(len(e.get("text", "")) for e in b["elements"])
        elif kind not in ("divider", "actions", "image", "rich_text"):
            return f"blocks[{i}] has unknown type {kind!r}"
    if total > MAX_TOTAL:
        return f"block text {total} > {MAX_TOTAL}"
    return None


@asynccontextmanager
async def fake_slack(middlewares: tuple[Any, ...] = (), **options: Any
                     ) -> AsyncIterator[FakeSlack]:
    """Start a fake Slack Web API on 127.0.0.1 (random port); `fake.url` is the
    `SLACK_API_URL` (ends in `/api/`), `fake.calls` the call log. `middlewares` are
    added to the server (a test's own, e.g. tests.fakes.killer)."""
    fake = FakeSlack(**options)
    app = fake.app()
    app.middlewares.extend(middlewares)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/api/"))
    try:
        yield fake
    finally:
        await server.close()
