"""`hotpapers serve`: the web process (Procfile `web:`). An aiohttp server on
`settings.http_host`:`settings.port` with `/healthz` and `/metrics` (`bot.web.health`),
the web archive (`bot.web`: pages, feeds, JSON API) and the HTTP endpoints of every
configured platform, found through `adapters.registry` (Slack: `/slack/events`, signed
with SLACK_SIGNING_SECRET, and `/slack/install` + `/slack/oauth_redirect` with
SLACK_CLIENT_ID/SECRET). Platform code stays in `adapters/`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Annotated

import typer
from aiohttp import web

from adapters import registry
from bot.chat import WebRoutes
from bot.cli.app import EMPTY_STORE, app, fail, open_core, out, run, setup_logging
from bot.core import Core
from bot.fleet import QueueView
from bot.jobs import shared_queue
from bot.settings import Settings, get_settings
from bot.web.health import add_health_routes

log = logging.getLogger("hotpapers.serve")
PLATFORMS = web.AppKey("platforms", tuple[str, ...])


async def build_web_app(core: Core, settings: Settings, *, check_token_first: bool = True,
                        queue: QueueView | None = None
                        ) -> tuple[web.Application, list[str]]:
    """The web application and the paths it serves. Raises ConfigurationError (one
    line) on a missing or rejected platform setting. `queue`: the job backend's view of
    its queue for /healthz and /metrics (None: jobs run in-process)."""
    web_app = web.Application()
    add_health_routes(web_app, core.store, queue=queue, empty_note=EMPTY_STORE,
                      ttl=settings.fleet_ttl)
    platforms: list[WebRoutes] = await registry.open_web_routes(
        core, settings, check_token_first=check_token_first)
    for routes in platforms:
        web_app.add_routes(routes.routes)
    from bot.web.app import add_web_routes

    add_web_routes(web_app, core, settings)  # after the platforms': its day route is broad

    async def on_cleanup(_app: web.Application) -> None:
        for routes in platforms:
            await routes.close()

    web_app.on_cleanup.append(on_cleanup)
    web_app[PLATFORMS] = tuple(r.platform for r in platforms)
    paths = sorted({r.resource.canonical for r in web_app.router.routes() if r.resource})
    return web_app, paths


async def _serve(host: str, port: int) -> None:
    async with open_core(with_builder=True) as core, shared_queue(core.settings) as queue:
        web_app, paths = await build_web_app(core, core.settings, queue=queue)
        if not web_app[PLATFORMS]:
            out.print("Slack is not configured (SLACK_BOT_TOKEN or SLACK_CLIENT_ID): "
                      "serving the web archive, /healthz and /metrics")
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            fail(f"cannot listen on {host}:{port} ({exc.strerror}); set PORT to a free port")
        out.print(f"serving {', '.join(paths)} on http://{host}:{port}")
        if await core.store.latest_date() is None:
            out.print(EMPTY_STORE, markup=False, soft_wrap=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (HOTPAPERS_HTTP_HOST)."
                                             )] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (PORT).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request.")] = False,
) -> None:
    """Serve the web archive (pages, feeds, JSON API), Slack's HTTP mode (/slack/events,
    /slack/install), /healthz and /metrics."""
    setup_logging(verbose)
    settings = get_settings()
    run(_serve(host or settings.http_host, port or settings.port))


@app.command("slack-manifest")
def slack_manifest(
    url: Annotated[str | None, typer.Option(
        help="Public base URL of `hotpapers serve` (HTTP mode); omit for Socket Mode.")] = None,
    name: Annotated[str, typer.Option(help="The app's name in Slack.")] = "Hot Papers",
) -> None:
    """Print a Slack app manifest (JSON) to paste into api.slack.com/apps -> From a manifest."""
    import json

    if url is not None and not url.startswith("https://"):
        fail(f"'{url}' is not an https:// URL; Slack only calls public https addresses, "
             "for example --url https://hotpapers.example.org")
    typer.echo(json.dumps(registry.manifest("slack", url, name), indent=2))  # plain: no wrapping
