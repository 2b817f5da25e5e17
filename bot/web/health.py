"""`/healthz` and `/metrics`, on `hotpapers serve` and on each `hotpapers run` worker
(`HOTPAPERS_METRICS_PORT`: `serve_health`).

- `/healthz` (JSON): `ok`, the latest stored digest (`latest`, with a `note` on an empty
  store), and the fleet (`bot.fleet_report`): `workers`, `workers_by_role`, `queue`,
  `failed_jobs`. 503 with `ok: false` when the database can't be read.
- `/metrics` (Prometheus text): this process's counters and histograms
  (`bot.metrics`), then the fleet's gauges read from the database at the scrape.

`queue` is the job backend's `bot.fleet.QueueView`, or None when jobs run in-process.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.errors import ConfigurationError
from bot.fleet import QueueView
from bot.fleet_report import LIVE_TTL, FleetCollector, FleetReport, fleet_report
from bot.metrics import exposition
from bot.store import Store

log = logging.getLogger("hotpapers.health")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:200]}" if text else type(exc).__name__


def add_health_routes(app: web.Application, store: Store, *, queue: QueueView | None = None,
                      empty_note: str = "no digest stored yet", ttl: float = LIVE_TTL) -> None:
    """Add `/healthz` and `/metrics` to `app`."""

    async def healthz(_request: web.Request) -> web.Response:
        try:
            latest = await store.latest_date()
        except Exception as exc:  # the database is down: say so, don't crash
            return web.json_response({"ok": False, "error": type(exc).__name__}, status=503)
        body: dict[str, object] = {"ok": True, "latest": latest.isoformat() if latest else None}
        if latest is None:  # healthy, but nothing to show yet: say what to do
            body["note"] = empty_note
        try:
            body.update((await fleet_report(store, queue, ttl=ttl)).as_dict())
        except Exception as exc:
            body["fleet_error"] = _one_line(exc)
        return web.json_response(body)

    async def metrics(request: web.Request) -> web.Response:
        report: FleetReport | None
        try:
            report = await fleet_report(store, queue, ttl=ttl)
        except Exception as exc:  # the counters are still worth scraping
            log.warning("/metrics: cannot read the fleet: %s", _one_line(exc))
            report = None
        body, content_type = exposition(FleetCollector(report),
                                        accept=request.headers.get("Accept"))
        # the content type carries its own charset and version parameters: set it raw
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)


def create_health_app(store: Store, *, queue: QueueView | None = None,
                      empty_note: str = "no digest stored yet", ttl: float = LIVE_TTL
                      ) -> web.Application:
    app = web.Application()
    add_health_routes(app, store, queue=queue, empty_note=empty_note, ttl=ttl)
    return app


@contextlib.asynccontextmanager
async def serve_health(store: Store, host: str, port: int, *, queue: QueueView | None = None,
                       empty_note: str = "no digest stored yet", ttl: float = LIVE_TTL
                       ) -> AsyncIterator[int]:
    """Serve `/healthz` and `/metrics` on `host`:`port` (0: any free port) while the block
    runs; yields the port. A port that can't be bound is a one-line ConfigurationError."""
    runner = web.AppRunner(create_health_app(store, queue=queue, empty_note=empty_note, ttl=ttl),
                           access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigurationError(
            f"cannot serve /metrics on {host}:{port} ({exc.strerror}); set "
            "HOTPAPERS_METRICS_PORT to a free port") from None
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = int(sockets[0].getsockname()[1]) if sockets else port
    try:
        yield bound
    finally:
        await runner.cleanup()
