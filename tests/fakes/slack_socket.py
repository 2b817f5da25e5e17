"""A fake Slack Socket Mode server: a real aiohttp websocket on 127.0.0.1.

The fake Web API's `apps.connections.open` answers with `fake.url`; the client connects,
gets `hello`, and the test pushes envelopes (`slash_commands`, `events_api`) with
`send(...)`, which waits for the client's ack (`{"envelope_id": ...}`) and returns it.
Pings are answered with pongs (the SDK checks them to detect dead connections).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer


@dataclass
class FakeSocketMode:
    url: str = ""
    connections: int = 0
    acks: list[dict[str, Any]] = field(default_factory=list)
    _ws: web.WebSocketResponse | None = None
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _waiting: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        return app

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections += 1
        self._ws = ws
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                            "connection_info": {"app_id": "A0001"}})
        self._connected.set()
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            env = data.get("envelope_id")
            if env:
                self.acks.append(data)
                fut = self._waiting.pop(env, None)
                if fut is not None and not fut.done():
                    fut.set_result(data)
        if self._ws is ws:
            self._connected.clear()
        return ws

    async def wait_connected(self, wait: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), wait)

    async def send(self, kind: str, payload: dict[str, Any], *, envelope_id: str | None = None,
                   retry_attempt: int = 0, wait: float = 5.0) -> dict[str, Any]:
        """Push one envelope and wait for its ack."""
        await self.wait_connected()
        assert self._ws is not None
        env = envelope_id or uuid.uuid4().hex
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[env] = fut
        await self._ws.send_json({
            "envelope_id": env, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else "",
        })
        return await asyncio.wait_for(fut, wait)

    async def drop(self) -> None:
        """Close the current connection (the client should reconnect)."""
        if self._ws is not None:
            await self._ws.close()


@asynccontextmanager
async def fake_socket_mode() -> AsyncIterator[FakeSocketMode]:
    fake = FakeSocketMode()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.url = str(server.make_url("/link/")).replace("http://", "ws://") + "?ticket=t"
    try:
        yield fake
    finally:
        if fake._ws is not None:
            await fake._ws.close()
        await server.close()
