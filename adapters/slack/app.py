"""Slack's `/hot` on slack-bolt's `AsyncApp` (handlers in `adapters.slack.commands`):
`build_app` for both modes, and HTTP mode for `hotpapers serve` (`open_http_app` +
`slack_web_routes`: `/slack/events`, signatures checked on the raw bytes by
`adapters.slack.signing` before bolt parses anything (and by bolt again), and the
optional OAuth install pages of `adapters.slack.install`). Socket Mode is
`adapters.slack.socket_mode`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import check_token, make_client
from adapters.slack.commands import SlackCommands
from adapters.slack.install import oauth_enabled, oauth_settings
from adapters.slack.signing import Refusal, SlackRequestGate
from bot.errors import ConfigurationError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)


class _QuietBoltNotices(logging.Filter):
    """bolt warns that a given client's token wins over SLACK_BOT_TOKEN (the same token
    here); keep the log for what matters."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "will be unused" not in record.getMessage()


bolt_log = logging.getLogger("hotpapers.slack")
bolt_log.addFilter(_QuietBoltNotices())


def build_app(core: Core, settings: Settings, *, client: AsyncWebClient | None = None,
              socket_mode: bool = False, oauth_settings: Any = None,
              commands: SlackCommands | None = None) -> AsyncApp:
    """The bolt app answering `/hot` and mentions. HTTP mode verifies request signatures
    with SLACK_SIGNING_SECRET; Socket Mode needs no secret."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret \
        else ""
    if not socket_mode and not secret:
        raise ConfigurationError("SLACK_SIGNING_SECRET is missing; set it to your Slack app's "
                                 "signing secret (Basic Information page) to receive commands")
    handlers = commands or SlackCommands(core)
    kwargs: dict[str, Any] = {
        "signing_secret": secret,
        "process_before_response": False,
        "request_verification_enabled": not socket_mode,
        "ignoring_self_events_enabled": True,
        "logger": bolt_log,
    }
    if oauth_settings is not None:
        kwargs["oauth_settings"] = oauth_settings
        kwargs["client"] = client or make_client(settings)
    else:
        if client is None:
            token = settings.slack_bot_token
            if token is None:
                raise ConfigurationError("SLACK_BOT_TOKEN is missing; set it to your Slack "
                                         "app's bot token (xoxb-...)")
            client = make_client(settings, token.get_secret_value())
        kwargs["client"] = client
    app = AsyncApp(**kwargs)
    app.error(_one_line_errors)
    app.use(handlers.drop_redeliveries)
    app.command("/hot")(handlers.on_hot)
    app.event("app_mention")(handlers.on_mention)
    return app


async def _one_line_errors(error: Exception) -> None:
    """bolt's errors (a middleware or listener that raised: an unreachable response_url,
    a workspace without installation) as one log line instead of a traceback."""
    text = (str(error).strip().splitlines() or [""])[0][:200]
    log.warning("Slack request failed: %s%s", type(error).__name__, f": {text}" if text else "")


def slack_web_routes(app: AsyncApp, gate: SlackRequestGate, path: str = "/slack/events"
                     ) -> list[web.RouteDef]:
    """aiohttp routes for HTTP mode: events and commands at `path` (checked by `gate` on
    the raw bytes before bolt parses anything), and the OAuth install pages when the app
    has an OAuth flow."""

    async def events(request: web.Request) -> web.Response:
        raw = await request.read()  # over client_max_size: 413, raised by aiohttp
        checked = gate.check(raw, request.headers, request.content_type)
        if isinstance(checked, Refusal):
            log.info("refused a request to %s: %s (%d)", path, checked.reason, checked.status)
            return web.Response(status=checked.status, text=checked.reason)
        if checked.replay:
            log.info("dropped a replayed request to %s", path)
            return web.Response(status=200)
        try:
            bolt_request = AsyncBoltRequest(body=checked.text, query=request.query_string,
                                            headers=dict(request.headers))
            if bolt_request.body != checked.body:
                # bolt reads any body containing the word "payload" as an interactivity
                # payload (a slash command's text "keyword:payload" too): use ours.
                bolt_request.body = checked.body
                bolt_request.context = build_async_context(AsyncBoltContext({}), checked.body)
            return await to_aiohttp_response(await app.async_dispatch(bolt_request))
        except Exception as exc:  # a signed request bolt can't handle: one line, 400
            log.warning("could not handle a signed request to %s (%s: %s)", path,
                        type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
            return web.Response(status=400, text="request not understood")

    routes = [web.post(path, events)]
    flow = app.oauth_flow
    if flow is not None:
        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request)))

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request)))

        routes += [web.get(flow.install_path, install), web.get(flow.redirect_uri_path, redirect)]
    return routes


async def open_http_app(core: Core, settings: Settings, *, check_token_first: bool = True
                        ) -> tuple[AsyncApp, Callable[[], Awaitable[None]]]:
    """HTTP mode's bolt app (OAuth install when SLACK_CLIENT_ID/SECRET are set, else
    SLACK_BOT_TOKEN, checked with auth.test) and the coroutine that releases it."""
    if oauth_enabled(settings):
        oauth, engine = await oauth_settings(settings)
        app = build_app(core, settings, oauth_settings=oauth)
        return app, engine.dispose
    session = aiohttp.ClientSession()
    try:
        token = settings.slack_bot_token
        if token is None:
            raise ConfigurationError("SLACK_BOT_TOKEN is missing; set it to your Slack app's "
                                     "bot token (xoxb-...), or SLACK_CLIENT_ID and "
                                     "SLACK_CLIENT_SECRET for the multi-workspace install")
        client = make_client(settings, token.get_secret_value(), session=session)
        if check_token_first:
            await check_token(client)
        return build_app(core, settings, client=client), session.close
    except BaseException:
        await session.close()
        raise
