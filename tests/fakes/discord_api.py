"""A fake Discord: REST API and gateway websocket on 127.0.0.1, for the real discord.py.

It speaks the documented protocol closely enough for discord.py 2.x: bot-token auth,
per-route rate-limit buckets with `X-RateLimit-*` headers, 429s with the JSON body
`{retry_after, global}` AND a `Via` header (without them discord.py assumes a
Cloudflare ban), `Content-Type` exactly `application/json`, a global limit, and
`enforce_nonce` (a repeated nonce returns the first message instead of a duplicate;
`honour_nonce=False` switches that off, as on a server that doesn't, so only the
client's own logic can keep delivery exactly once). Like the real API, message history
does NOT carry nonces (only the answer to the POST does), ids are snowflakes (the time
they were made, shifted left 22 bits), history pages take `before`/`after`/`limit`
(at most 100) the way Discord does, and interaction answers are type-20 messages with
`interaction_metadata`.

The gateway (tests/fakes/discord_gateway.py, mixed in) does HELLO -> IDENTIFY (with
`shard`) -> READY + GUILD_CREATE per shard, heartbeats, and routes the INTERACTION_CREATE
dispatches a test injects (`interact`) to the connection holding the guild's shard;
GET /gateway/bot recommends `shards` and tells the `session_start_limit`.

Every request is recorded in `calls`; `fail(...)` makes the next matching requests
fail (before doing the work, or `after=True`: the message is stored, then the answer is
an error; `drop=True`: the connection is closed instead); `force_429(...)` makes them
rate limited. `sent_nonce(message)` is the nonce a stored message was sent with (the
server's own record, never shown to clients). Use `running_fake_discord()`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.discord_gateway import GatewayConnection, Refusal, ShardedGateway
from tests.fakes.discord_limits import Dropped, RateLimits
from tests.fakes.discord_payloads import (
    APP_ID,
    BOT_USER_ID,
    FORUM_CHANNEL_ID,
    GUILD_ID,
    MANAGE_CHANNELS,
    TEXT_CHANNEL_ID,
    TOKEN,
    Json,
    channel_payload,
    check_message,
    guild_on_shard,
    interaction_payload,
    now_iso,
    sample_digest,
    user_payload,
)

DISCORD_EPOCH_MS = 1420070400000
Handler = Callable[[web.Request, re.Match[str], Json | None], Awaitable[tuple[int, Any]]]


@dataclass
class Call:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    body: Any
    status: int
    at: float


@dataclass
class Callback:
    """An interaction callback the bot sent, and how long after the dispatch."""

    interaction_id: str
    type: int
    data: Json
    delay: float


@dataclass
class FakeDiscord(ShardedGateway):
    token: str = TOKEN
    route_limit: int = 5  # requests per bucket per window (Discord: 5 / 5 s per channel)
    route_window: float = 0.25
    global_limit: int = 1000  # per second (Discord: 50)
    retry_after: float = 0.05  # what a forced 429 asks for
    heartbeat_interval_ms: int = 1000
    latency: float = 0.0
    privileged_intents: int = 0  # intents the application may use beyond the default ones
    identify_close_code: int | None = None  # close the gateway with this code on IDENTIFY
    honour_nonce: bool = True  # enforce_nonce de-duplicates (False: a server that doesn't)
    shards: int = 1  # what GET /gateway/bot recommends
    sharding_required: bool = False  # an IDENTIFY without `shard` is closed with 4011
    max_concurrency: int = 16  # IDENTIFYs per 5 s (session_start_limit)
    session_starts: int = 1000  # session_start_limit.total
    calls: list[Call] = field(default_factory=list)
    channels: dict[int, Json] = field(default_factory=dict)
    messages: dict[int, list[Json]] = field(default_factory=dict)
    commands: dict[str, list[Json]] = field(default_factory=dict)  # "global" or guild id
    callbacks: list[Callback] = field(default_factory=list)
    gateway_ops: list[int] = field(default_factory=list)  # opcodes the client sent
    deleted_originals: list[str] = field(default_factory=list)  # interaction tokens
    followups: list[Json] = field(default_factory=list)
    webhooks: dict[int, tuple[str, int]] = field(default_factory=dict)  # id -> (token, channel)
    # called with (channel id, message) after a message is stored (tests add chatter)
    on_message: Callable[[int, Json], None] | None = None
    base_url: str = ""
    gateway_url: str = ""

    def __post_init__(self) -> None:
        self._last_id = 0
        self.limits = RateLimits(self)
        self._init_gateway()
        self._dispatched: dict[str, float] = {}
        self._dispatched_channels: dict[str, int] = {}
        self._callback_event = asyncio.Event()
        self.add_channel(TEXT_CHANNEL_ID, "hot-papers", 0)
        self.add_channel(FORUM_CHANNEL_ID, "papers-forum", 15)
        self._routes: list[tuple[str, re.Pattern[str], str, Handler, bool]] = []
        r = self._route
        r("GET", r"/users/@me", self._me)
        r("GET", r"/oauth2/applications/@me", self._application)
        r("GET", r"/gateway", self._gateway, auth=False)
        r("GET", r"/gateway/bot", self._gateway)
        r("GET", r"/channels/(?P<c>\d+)", self._get_channel)
        r("POST", r"/channels/(?P<c>\d+)/messages", self._post_message)
        r("GET", r"/channels/(?P<c>\d+)/messages", self._history)
        r("GET", r"/channels/(?P<c>\d+)/messages/(?P<m>\d+)", self._get_message)
        r("POST", r"/channels/(?P<c>\d+)/messages/(?P<m>\d+)/threads", self._thread_from_message)
        r("POST", r"/channels/(?P<c>\d+)/threads", self._forum_post)
        r("GET", r"/guilds/(?P<g>\d+)/threads/active", self._active_threads)
        r("PUT", r"/applications/(?P<a>\d+)/commands", self._sync_commands)
        r("PUT", r"/applications/(?P<a>\d+)/guilds/(?P<g>\d+)/commands", self._sync_commands)
        r("POST", r"/interactions/(?P<i>\d+)/(?P<t>[^/]+)/callback", self._callback, auth=False)
        r("POST", r"/webhooks/(?P<w>\d+)/(?P<t>[^/]+)", self._webhook, auth=False)
        r("PATCH", r"/webhooks/(?P<w>\d+)/(?P<t>[^/]+)/messages/@original", self._edit_original,
          auth=False)
        r("DELETE", r"/webhooks/(?P<w>\d+)/(?P<t>[^/]+)/messages/@original",
          self._delete_original, auth=False)

    # --- set-up and control ----------------------------------------------------------
    def new_id(self) -> int:
        """A snowflake for now (milliseconds since Discord's epoch << 22), increasing."""
        now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last_id = max(now, self._last_id + 1)
        return self._last_id

    @staticmethod
    def sent_nonce(message: Json) -> str | None:
        return message.get("_nonce")

    def add_channel(self, cid: int, name: str, type_: int, parent: int | None = None,
                    guild: int = GUILD_ID) -> Json:
        ch = channel_payload(cid, name, type_, parent, guild)
        self.channels[cid] = ch
        self.messages.setdefault(cid, [])
        return ch

    def add_webhook(self, channel: int) -> tuple[int, str]:
        wid, token = self.new_id(), "wh" + "x" * 66
        self.webhooks[wid] = (token, channel)
        return wid, token

    def webhook_url(self, channel: int) -> str:
        wid, token = self.add_webhook(channel)
        return f"https://discord.com/api/webhooks/{wid}/{token}"

    def fail(self, method: str, path_regex: str, status: int, count: int = 1,
             code: int = 0, message: str = "", *, after: bool = False,
             drop: bool = False) -> None:
        """The next `count` requests matching fail with `status` (JSON error body);
        `after`: served first (a message is stored), then answered with the failure;
        `drop`: the connection is closed instead of answering."""
        self.limits.fail(method, path_regex, status, count, code, message, after, drop)

    def force_429(self, method: str, path_regex: str, count: int = 1,
                  is_global: bool = False) -> None:
        """The next `count` requests matching are refused with a 429."""
        self.limits.force_429(method, path_regex, count, is_global)

    def sent(self, method: str = "POST", path_regex: str = "",
             status: int | None = 200) -> list[Call]:
        pat = re.compile(path_regex)
        return [c for c in self.calls if c.method == method and pat.search(c.path)
                and (status is None or c.status == status)]

    def thread_messages(self, thread_id: int | str) -> list[Json]:
        return self.messages.get(int(thread_id), [])

    def user_message(self, channel: int, text: str) -> Json:
        """A message a person posts (not the bot)."""
        msg: Json = {
            "id": str(self.new_id()), "channel_id": str(channel), "type": 0, "content": text,
            "embeds": [], "author": user_payload(700000000000000009, "someone"),
            "attachments": [], "mentions": [], "mention_roles": [], "mention_everyone": False,
            "pinned": False, "tts": False, "timestamp": now_iso(), "edited_timestamp": None,
            "flags": 0, "components": []}
        self.messages.setdefault(channel, []).append(msg)
        return msg

    # --- gateway-side control ------------------------------------------------------------
    async def interact(self, name: str, options: list[Json] | None = None, *,
                       type_: int = 2, permissions: int = MANAGE_CHANNELS,
                       channel: int = TEXT_CHANNEL_ID, user: int = 700000000000000001) -> str:
        """Send a slash command (type 2) or autocomplete (type 4) as INTERACTION_CREATE to
        the connection holding the channel's guild (`routed[id]`); returns the
        interaction id for `callback()`."""
        iid = str(self.new_id())
        cmd_id = next((c["id"] for cs in self.commands.values() for c in cs
                       if c["name"] == name), str(self.new_id()))
        data = interaction_payload(iid, cmd_id, name, type_, options or [],
                                   {**self.channels[channel], "permissions": str(permissions)},
                                   permissions, user)
        self._dispatched[iid] = time.monotonic()
        self._dispatched_channels[iid] = channel
        for conn in await self.dispatch("INTERACTION_CREATE", data):
            self.routed.setdefault(iid, conn)
        return iid

    async def callback(self, interaction_id: str, within: float = 5.0) -> Callback:
        deadline = time.monotonic() + within
        while True:
            for cb in self.callbacks:
                if cb.interaction_id == interaction_id:
                    return cb
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no callback for interaction {interaction_id}")
            self._callback_event.clear()
            try:
                await asyncio.wait_for(self._callback_event.wait(), left)
            except TimeoutError:
                pass

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            await asyncio.sleep(0.01)

    # --- the HTTP server -------------------------------------------------------------------
    def _route(self, method: str, pattern: str, handler: Handler, auth: bool = True) -> None:
        bucket = re.sub(r"\(\?P<(\w)>[^)]*\)", r"{\1}", pattern)
        self._routes.append((method, re.compile(pattern + "$"), bucket, handler, auth))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/gateway-ws", self._websocket)
        app.router.add_get("/gateway-ws/{label}", self._websocket)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        app.router.add_route("*", "/api/{tail:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        query = dict(request.query)
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            status, payload, headers = await self._respond(request, path, body)
        except Dropped:
            self.calls.append(Call(request.method, path, query, body, 0, time.monotonic()))
            assert request.transport is not None
            request.transport.close()  # the client sees the connection drop, no answer
            return web.Response(status=500)
        self.calls.append(Call(request.method, path, query, body, status, time.monotonic()))
        if status == 204:
            return web.Response(status=204, headers=headers)
        # Set by hand: json_response would append "; charset=utf-8" and discord.py
        # only parses a body whose Content-Type is exactly application/json.
        headers["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(payload).encode(), headers=headers)

    async def _respond(self, request: web.Request, path: str,
                       body: Any) -> tuple[int, Any, dict[str, str]]:
        for method, pattern, template, handler, auth in self._routes:
            m = pattern.match(path)
            if method != request.method or m is None:
                continue
            if auth and request.headers.get("Authorization") != f"Bot {self.token}":
                return 401, {"message": "401: Unauthorized", "code": 0}, {}
            refused = self.limits.check(method, path, template, m)
            if refused is not None:
                return refused
            status, payload = await handler(request, m, body)
            late = self.limits.late_failure(method, path)
            if late is not None:  # the work is done; the answer says otherwise
                if late.drop:
                    raise Dropped
                return late.status, late.body, {}
            return status, payload, self.limits.headers(method, template, m)
        return 404, {"message": "404: Not Found", "code": 0}, {}

    # --- REST handlers -------------------------------------------------------------
    async def _me(self, _r: web.Request, _m: re.Match[str], _b: Any) -> tuple[int, Any]:
        return 200, {**user_payload(BOT_USER_ID, "hotpapers"), "bot": True, "verified": True,
                     "mfa_enabled": False, "flags": 0}

    async def _application(self, _r: web.Request, _m: re.Match[str], _b: Any) -> tuple[int, Any]:
        return 200, {"id": str(APP_ID), "name": "hotpapers", "icon": None, "description": "",
                     "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False,
                     "owner": user_payload(BOT_USER_ID + 1, "owner"), "summary": "",
                     "verify_key": "00", "team": None, "flags": self.privileged_intents,
                     "interactions_endpoint_url": None, "redirect_uris": []}

    async def _gateway(self, _r: web.Request, _m: re.Match[str], _b: Any) -> tuple[int, Any]:
        return 200, self.bot_gateway()

    def _channel(self, m: re.Match[str]) -> Json | None:
        return self.channels.get(int(m["c"]))

    async def _get_channel(self, _r: web.Request, m: re.Match[str], _b: Any) -> tuple[int, Any]:
        ch = self._channel(m)
        return (200, ch) if ch else (404, {"message": "Unknown Channel", "code": 10003})

    def _create_message(self, channel: int, body: Json, webhook: int | None = None) -> Json:
        msg: Json = {
            "id": str(self.new_id()), "channel_id": str(channel), "type": 0,
            "content": body.get("content") or "", "embeds": body.get("embeds") or [],
            "author": user_payload(webhook or BOT_USER_ID, "hotpapers", bot=True),
            "attachments": [], "mentions": [], "mention_roles": [], "mention_everyone": False,
            "pinned": False, "tts": False, "timestamp": now_iso(), "edited_timestamp": None,
            "flags": body.get("flags") or 0, "components": [],
        }
        if webhook:
            msg["webhook_id"] = str(webhook)
        if body.get("nonce") is not None:
            msg["_nonce"] = str(body["nonce"])
        self.messages.setdefault(channel, []).append(msg)
        if self.on_message is not None:
            self.on_message(channel, msg)
        ch = self.channels.get(channel)
        if ch is not None:
            ch["last_message_id"] = msg["id"]
            if "message_count" in ch:
                ch["message_count"] += 1
        return msg

    @staticmethod
    def _public(msg: Json, with_nonce: bool = False) -> Json:
        out = {k: v for k, v in msg.items() if not k.startswith("_")}
        if with_nonce and "_nonce" in msg:
            out["nonce"] = msg["_nonce"]
        return out

    async def _post_message(self, _r: web.Request, m: re.Match[str], body: Any) -> tuple[int, Any]:
        ch = self._channel(m)
        if ch is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        if ch["type"] == 15:
            return 400, {"message": "Cannot send messages in a forum channel", "code": 50008}
        error = check_message(body)
        if error:
            return 400, {"message": error, "code": 50035}
        cid = int(m["c"])
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce") and self.honour_nonce:
            for old in self.messages[cid]:
                if old.get("_nonce") == str(nonce):
                    return 200, self._public(old, with_nonce=True)
        return 200, self._public(self._create_message(cid, body), with_nonce=True)

    async def _history(self, r: web.Request, m: re.Match[str], _b: Any) -> tuple[int, Any]:
        if self._channel(m) is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        limit = max(1, min(int(r.query.get("limit", "50")), 100))
        newest_first = sorted(self.messages[int(m["c"])], key=lambda x: -int(x["id"]))
        if "before" in r.query:
            newest_first = [x for x in newest_first if int(x["id"]) < int(r.query["before"])]
        if "after" in r.query:  # the `limit` messages right after it, newest first
            later = [x for x in newest_first if int(x["id"]) > int(r.query["after"])]
            return 200, [self._public(x) for x in later[-limit:]]
        return 200, [self._public(x) for x in newest_first[:limit]]

    async def _get_message(self, _r: web.Request, m: re.Match[str], _b: Any) -> tuple[int, Any]:
        for x in self.messages.get(int(m["c"]), []):
            if x["id"] == m["m"]:
                return 200, self._public(x)
        return 404, {"message": "Unknown Message", "code": 10008}

    async def _thread_from_message(self, _r: web.Request, m: re.Match[str],
                                   body: Any) -> tuple[int, Any]:
        ch = self._channel(m)
        if ch is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        name = body.get("name", "")
        if not 1 <= len(name) <= 100:
            return 400, {"message": "Invalid Form Body (name)", "code": 50035}
        parent = next((x for x in self.messages[int(m["c"])] if x["id"] == m["m"]), None)
        if parent is None:
            return 404, {"message": "Unknown Message", "code": 10008}
        if parent.get("_thread"):
            return 400, {"message": "A thread has already been created for this message",
                         "code": 160004}
        # A thread started from a message has the message's id.
        thread = self.add_channel(int(m["m"]), name, 11, parent=int(m["c"]))
        thread["guild_id"] = ch["guild_id"]  # a thread is in its channel's guild
        parent["_thread"] = thread["id"]
        return 201, thread

    async def _forum_post(self, _r: web.Request, m: re.Match[str], body: Any) -> tuple[int, Any]:
        ch = self._channel(m)
        if ch is None:
            return 404, {"message": "Unknown Channel", "code": 10003}
        if ch["type"] != 15:
            thread = self.add_channel(self.new_id(), body["name"], 12, parent=int(m["c"]))
            return 201, thread
        error = check_message(body.get("message") or {})
        if error or not 1 <= len(body.get("name", "")) <= 100:
            return 400, {"message": error or "Invalid Form Body (name)", "code": 50035}
        tid = self.new_id()
        thread = self.add_channel(tid, body["name"], 11, parent=int(m["c"]))
        msg = self._create_message(tid, body["message"])
        msg["id"] = str(tid)  # a forum post's starter message has the thread's id
        thread["last_message_id"] = msg["id"]
        return 201, {**thread, "message": self._public(msg)}

    async def _active_threads(self, _r: web.Request, _m: re.Match[str], _b: Any) -> tuple[int, Any]:
        threads = [c for c in self.channels.values() if c["type"] in (11, 12)]
        return 200, {"threads": threads, "members": []}

    async def _sync_commands(self, _r: web.Request, m: re.Match[str], body: Any) -> tuple[int, Any]:
        key = m.groupdict().get("g") or "global"
        out = [{**c, "id": str(self.new_id()), "application_id": str(APP_ID), "version": "1",
                "type": c.get("type", 1)} for c in body]
        self.commands[key] = out
        return 200, out

    async def _callback(self, _r: web.Request, m: re.Match[str], body: Any) -> tuple[int, Any]:
        iid = m["i"]
        sent = self._dispatched.get(iid)
        if sent is None or m["t"] != f"itok{iid}":
            return 404, {"message": "Unknown interaction", "code": 10062}
        if any(cb.interaction_id == iid for cb in self.callbacks):
            return 400, {"message": "Interaction has already been acknowledged", "code": 40060}
        delay = time.monotonic() - sent
        if delay > 3.0:
            return 404, {"message": "Unknown interaction", "code": 10062}
        data = body.get("data") or {}
        self.callbacks.append(Callback(iid, body["type"], data, delay))
        self._callback_event.set()
        response: Json = {"interaction": {
            "id": iid, "type": 2, "response_message_loading": body["type"] == 5,
            "response_message_ephemeral": bool(data.get("flags", 0) & 64)}}
        if body["type"] in (4, 5):
            msg = self._create_message(int(self._dispatched_channel(iid)), data, webhook=APP_ID)
            msg["type"] = 20  # CHAT_INPUT_COMMAND: an interaction's answer
            msg["author"] = user_payload(BOT_USER_ID, "hotpapers", bot=True)
            msg["interaction_metadata"] = {"id": iid, "type": 2, "user": user_payload(
                700000000000000001, "asker"), "authorizing_integration_owners": {}}
            response["interaction"]["response_message_id"] = msg["id"]
            response["resource"] = {"type": body["type"], "message": self._public(msg)}
        return 200, response

    def _dispatched_channel(self, iid: str) -> int:
        return self._dispatched_channels.get(iid, TEXT_CHANNEL_ID)

    async def _webhook(self, r: web.Request, m: re.Match[str], body: Any) -> tuple[int, Any]:
        wid = int(m["w"])
        if wid == APP_ID:  # an interaction follow-up
            self.followups.append(body)
            msg = self._create_message(TEXT_CHANNEL_ID, body, webhook=APP_ID)
            return 200, self._public(msg)
        hook = self.webhooks.get(wid)
        if hook is None or hook[0] != m["t"]:
            return 404, {"message": "Unknown Webhook", "code": 10015}
        error = check_message(body)
        if error:
            return 400, {"message": error, "code": 50035}
        channel = hook[1]
        ch = self.channels[channel]
        if "thread_id" in r.query:
            channel = int(r.query["thread_id"])
            if channel not in self.channels:
                return 400, {"message": "Unknown Channel", "code": 10003}
        elif ch["type"] == 15:
            if not body.get("thread_name"):
                return 400, {"message": "Webhooks posted to forum channels must have a "
                             "thread_name or thread_id", "code": 220001}
            tid = self.new_id()
            self.add_channel(tid, body["thread_name"], 11, parent=channel)
            msg = self._create_message(tid, body, webhook=wid)
            msg["id"] = str(tid)
            return (200, self._public(msg)) if r.query.get("wait") in ("1", "true") else (204, None)
        msg = self._create_message(channel, body, webhook=wid)
        return (200, self._public(msg)) if r.query.get("wait") in ("1", "true") else (204, None)

    async def _edit_original(self, _r: web.Request, _m: re.Match[str],
                             body: Any) -> tuple[int, Any]:
        self.followups.append(body)
        return 200, self._public(self._create_message(TEXT_CHANNEL_ID, body, webhook=APP_ID))

    async def _delete_original(self, _r: web.Request, m: re.Match[str],
                               _b: Any) -> tuple[int, Any]:
        self.deleted_originals.append(m["t"])
        return 204, None


@asynccontextmanager
async def running_fake_discord(middlewares: tuple[Any, ...] = (), **options: Any
                               ) -> AsyncIterator[FakeDiscord]:
    """Start a `FakeDiscord` on a free port and point discord.py at it (`Route.BASE`,
    `DiscordWebSocket.DEFAULT_GATEWAY`), restoring both afterwards. `fake.base_url` is
    the value for `DISCORD_API_URL`, `fake.gateway_url` for `DISCORD_GATEWAY_URL`."""
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    fake = FakeDiscord(**options)
    app = fake.app()
    app.middlewares.extend(middlewares)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base_url = f"http://127.0.0.1:{port}/api/v10"
    fake.gateway_url = f"ws://127.0.0.1:{port}/gateway-ws"
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.base_url
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield fake
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
        await runner.cleanup()



__all__ = ["APP_ID", "FORUM_CHANNEL_ID", "GUILD_ID", "MANAGE_CHANNELS", "TEXT_CHANNEL_ID",
           "TOKEN", "Call", "Callback", "FakeDiscord", "GatewayConnection", "Refusal",
           "guild_on_shard", "running_fake_discord", "sample_digest"]
