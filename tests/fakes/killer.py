"""Kill -9 on cue: an aiohttp middleware for the fakes that SIGKILLs a publisher
process once the fakes have stored a given number of messages (right after the k-th
one landed, before its answer got back — the in-doubt case — or just after)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web


class Killer:
    """Kills the publisher when the fakes have stored `kill_at` messages in all."""

    def __init__(self, count: Callable[[], int]) -> None:
        self.count = count
        self.pid: int | None = None
        self.kill_at: int | None = None
        self.before_reply = True

    def kill(self) -> None:
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.pid = None

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        before = self.count()
        response = await handler(request)
        if self.kill_at is not None and before < self.count() and self.count() >= self.kill_at:
            self.kill_at = None
            if self.before_reply:  # the message landed; the publisher never hears of it
                self.kill()
            else:
                asyncio.get_running_loop().call_later(0.002, self.kill)
        return response


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
