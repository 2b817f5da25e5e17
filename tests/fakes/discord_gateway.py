"""The gateway side of the fake Discord (tests/fakes/discord_api.py), with shards.

HELLO (op 10) -> IDENTIFY (op 2, with `shard: [id, count]`) -> one READY per connection
listing the guilds of its shard (unavailable), then one GUILD_CREATE per guild of the
shard; heartbeats (op 1 -> op 11). A guild belongs to shard `(guild_id >> 22) % count`;
an IDENTIFY without `shard` is shard [0, 1] (every guild). Dispatches of a guild
(INTERACTION_CREATE included) go only to the connections whose shard holds it; events
without a guild go to shard 0.

Refused like Discord, with its close codes: a second IDENTIFY on one connection (4005
Already authenticated), a shard outside its count (4010 Invalid shard), no shard or fewer
than the recommended `shards` while `sharding_required` (4011 Sharding required), and,
so that two processes connecting the same shard show in a test, an IDENTIFY of a shard
another open connection already holds (4005; Discord itself would let both sessions
receive the shard's events; discord.py identifies again after a while). Each refusal
is recorded in `refused`.

The connection path may carry a label (`/gateway-ws/<label>`): give each process its own
DISCORD_GATEWAY_URL and `connections` / `routed` tell which process got what.
`session_starts` counts down `session_start_limit.remaining` of GET /gateway/bot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_payloads import (
    APP_ID,
    BOT_USER_ID,
    GUILD_ID,
    Json,
    guild_payload,
    user_payload,
)

PRIVILEGED = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
ALREADY_AUTHENTICATED, INVALID_SHARD, SHARDING_REQUIRED = 4005, 4010, 4011


@dataclass
class GatewayConnection:
    """One gateway websocket: the label of its path (which process) and its shard."""

    ws: web.WebSocketResponse
    label: str
    number: int
    shard: tuple[int, int] | None = None  # (id, count) once identified
    events: list[str] = field(default_factory=list)  # dispatches it was sent

    @property
    def session_id(self) -> str:
        return f"session-{self.number}"

    def holds(self, guild: int) -> bool:
        if self.shard is None or self.ws.closed:
            return False
        shard, count = self.shard
        return (guild >> 22) % count == shard


@dataclass(frozen=True)
class Refusal:
    label: str
    shard: Any  # what the IDENTIFY said
    code: int


class ShardedGateway:
    """Mixed into `FakeDiscord` (whose dataclass fields it reads: token,
    privileged_intents, identify_close_code, heartbeat_interval_ms, gateway_url, shards,
    sharding_required, max_concurrency, session_starts, gateway_ops, channels)."""

    token: str
    privileged_intents: int
    identify_close_code: int | None
    heartbeat_interval_ms: int
    gateway_url: str
    shards: int
    sharding_required: bool
    max_concurrency: int
    session_starts: int
    gateway_ops: list[int]
    channels: dict[int, Json]

    def _init_gateway(self) -> None:
        self.guilds: dict[int, str] = {GUILD_ID: "Fake Lab"}
        self.connections: list[GatewayConnection] = []
        self.refused: list[Refusal] = []
        self.routed: dict[str, GatewayConnection] = {}  # interaction id -> its connection
        self.undelivered: list[str] = []  # events no connection held the guild of
        self.identified = asyncio.Event()
        self._seq = itertools.count(1)
        self._numbers = itertools.count(1)
        self._session_starts_left = self.session_starts

    # --- set-up ------------------------------------------------------------------------
    def add_guild(self, guild: int, name: str = "") -> int:
        self.guilds[guild] = name or f"Guild {guild}"
        return guild

    def connected(self, label: str | None = None) -> list[GatewayConnection]:
        """The open, identified connections (of one labelled process)."""
        return [c for c in self.connections if c.shard is not None and not c.ws.closed
                and (label is None or c.label == label)]

    def shards_of(self, label: str) -> set[int]:
        return {c.shard[0] for c in self.connected(label) if c.shard is not None}

    def bot_gateway(self) -> Json:
        """The body of GET /gateway/bot."""
        return {"url": self.gateway_url, "shards": self.shards, "session_start_limit": {
            "total": self.session_starts, "remaining": max(0, self._session_starts_left),
            "reset_after": 14_400_000, "max_concurrency": self.max_concurrency}}

    # --- dispatching ---------------------------------------------------------------------
    async def dispatch(self, event: str, data: Json) -> list[GatewayConnection]:
        """Send a dispatch to the connections holding its guild (shard 0 without one);
        returns them."""
        guild = data.get("guild_id")
        targets = [c for c in self.connected()
                   if (c.holds(int(guild)) if guild else c.shard is not None and c.shard[0] == 0)]
        if not targets:
            self.undelivered.append(event)
        for conn in targets:
            await self._send(conn, event, data)
        return targets

    async def _send(self, conn: GatewayConnection, event: str, data: Json) -> None:
        conn.events.append(event)
        await conn.ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq),
                                           "d": data}))

    # --- the websocket ---------------------------------------------------------------------
    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = GatewayConnection(ws, request.match_info.get("label", ""), next(self._numbers))
        self.connections.append(conn)
        await ws.send_str(json.dumps({"op": 10, "d": {
            "heartbeat_interval": self.heartbeat_interval_ms}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            frame = json.loads(msg.data)
            self.gateway_ops.append(frame["op"])
            if frame["op"] == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif frame["op"] == 2:
                await self._identify(conn, frame["d"])
        return ws

    async def _refuse(self, conn: GatewayConnection, shard: Any, code: int,
                      reason: bytes) -> None:
        self.refused.append(Refusal(conn.label, shard, code))
        await conn.ws.close(code=code, message=reason)

    async def _identify(self, conn: GatewayConnection, d: Json) -> None:
        asked = d.get("shard")
        if self.identify_close_code is not None:
            await conn.ws.close(code=self.identify_close_code, message=b"Closed on command.")
            return
        if d.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if d.get("intents", 0) & PRIVILEGED & ~self.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        if conn.shard is not None:
            await self._refuse(conn, asked, ALREADY_AUTHENTICATED, b"Already authenticated.")
            return
        if self.sharding_required and (asked is None or asked[1] < self.shards):
            await self._refuse(conn, asked, SHARDING_REQUIRED, b"Sharding required.")
            return
        shard = (0, 1) if asked is None else tuple(asked)
        if len(shard) != 2 or not 0 <= shard[0] < shard[1]:
            await self._refuse(conn, asked, INVALID_SHARD, b"Invalid shard.")
            return
        if any(c.shard == shard for c in self.connected()):
            await self._refuse(conn, asked, ALREADY_AUTHENTICATED,
                               b"Another session holds this shard.")
            return
        conn.shard = (shard[0], shard[1])
        self._session_starts_left -= 1
        mine = [g for g in self.guilds if conn.holds(g)]
        await self._send(conn, "READY", {
            "v": 10, "user": {**user_payload(BOT_USER_ID, "hotpapers"), "bot": True},
            "guilds": [{"id": str(g), "unavailable": True} for g in mine],
            "session_id": conn.session_id, "shard": list(conn.shard),
            "resume_gateway_url": self.gateway_url + (f"/{conn.label}" if conn.label else ""),
            "application": {"id": str(APP_ID), "flags": 0},
            "private_channels": [], "relationships": []})
        for g in mine:
            await self._send(conn, "GUILD_CREATE", self._guild(g))
        self.identified.set()

    def _guild(self, guild: int) -> Json:
        channels = [c for c in self.channels.values()
                    if c["type"] in (0, 15) and c["guild_id"] == str(guild)]
        return guild_payload(channels, guild, self.guilds[guild])
