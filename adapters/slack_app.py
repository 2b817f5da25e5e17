"""The Slack platform (the module `adapters.registry` names for "slack"): posting
(`open_chat_adapter`: adapters.slack_post's on SLACK_BOT_TOKEN, or every installed
workspace in OAuth mode, adapters.slack_install) and the `/hot` command on slack-bolt's
`AsyncApp` (handlers in adapters.slack_commands), in Socket Mode (`SlackInteractive`, the
worker) or over HTTP (`open_http_app` + `slack_web_routes`, used by `hotpapers serve`,
with the optional OAuth install of adapters.slack_install).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.base import ChatAdapter, ConfigurationError
from adapters.slack_commands import SlackCommands
from adapters.slack_post import check_token, make_client, slack_error
from adapters.slack_post import open_chat_adapter as open_token_adapter
from bot.models import Answer, Command
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

__all__ = ["SlackCommands", "SlackInteractive", "build_app", "interactive_adapter",
           "open_chat_adapter", "open_http_app", "slack_web_routes"]


async def open_chat_adapter(settings: Settings) -> ChatAdapter:
    """The posting side of Slack. With SLACK_CLIENT_ID/SECRET (OAuth mode) it posts to
    each channel with its workspace's installation (SLACK_BOT_TOKEN, when set, for the
    workspaces without one); else with SLACK_BOT_TOKEN alone."""
    from adapters.slack_install import oauth_enabled, open_workspaces_adapter

    if oauth_enabled(settings):
        return await open_workspaces_adapter(settings)
    return await open_token_adapter(settings)


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
    app.use(handlers.drop_redeliveries)
    app.command("/hot")(handlers.on_hot)
    app.event("app_mention")(handlers.on_mention)
    return app


def slack_web_routes(app: AsyncApp, path: str = "/slack/events") -> list[web.RouteDef]:
    """aiohttp routes for HTTP mode: events and commands at `path`, and the OAuth
    install pages when the app has an OAuth flow."""

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

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
    from adapters.slack_install import oauth_enabled, oauth_settings

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


class SlackInteractive:
    """Socket Mode: connects with SLACK_APP_TOKEN and serves `/hot` until `close()`."""

    platform = "slack"

    def __init__(self, settings: Settings, *, ping_interval: float = 10.0) -> None:
        self.settings = settings
        self.ping_interval = ping_interval
        self._session: aiohttp.ClientSession | None = None
        self._client: AsyncWebClient | None = None
        self._handler: Any = None
        self._closed = asyncio.Event()
        self.commands: SlackCommands | None = None
        self._cleanup: Callable[[], Awaitable[None]] | None = None

    async def connect(self, core: Core) -> None:
        """Check the tokens and open the Socket Mode connection (returns when connected)."""
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        from adapters.slack_install import oauth_enabled, oauth_settings

        bot, app_token = self.settings.slack_bot_token, self.settings.slack_app_token
        if bot is None or app_token is None:
            raise ConfigurationError("Socket Mode needs SLACK_BOT_TOKEN (xoxb-...) and "
                                     "SLACK_APP_TOKEN (xapp-...); set both")
        self._session = aiohttp.ClientSession()
        self._client = make_client(self.settings, bot.get_secret_value(), session=self._session)
        try:
            await check_token(self._client)
            # The SDK retries a failed apps.connections.open forever; ask once ourselves so a
            # bad SLACK_APP_TOKEN is a one-line error, and hand it the URL we got.
            opened = await self._client.apps_connections_open(
                app_token=app_token.get_secret_value())
            self.commands = SlackCommands(core)
            oauth = None
            if oauth_enabled(self.settings):  # workspaces installed through `serve`
                oauth, engine = await oauth_settings(self.settings)
                self._cleanup = engine.dispose
            app = build_app(core, self.settings, client=self._client, socket_mode=True,
                            commands=self.commands, oauth_settings=oauth)
            self._handler = AsyncSocketModeHandler(app, app_token.get_secret_value(),
                                                   web_client=self._client,
                                                   ping_interval=self.ping_interval)
            self._handler.client.wss_uri = str(opened["url"])
            await self._handler.connect_async()
        except SlackApiError as exc:
            await self.close()
            raise ConfigurationError(f"SLACK_APP_TOKEN was rejected by Slack "
                                     f"({slack_error(exc)}); set a valid app-level token "
                                     "(xapp-...) with connections:write") from None
        except BaseException:
            await self.close()
            raise

    async def start(self, core: Core) -> None:
        await self.connect(core)
        await self._closed.wait()

    async def reply(self, command: Command, answer: Answer) -> None:
        if self._client is None or self.commands is None:
            raise RuntimeError("SlackInteractive.reply before start()")
        await self.commands.deliver(command, answer, self._client, None,
                                    f"reply:{time.time_ns()}")

    async def close(self) -> None:
        if self._handler is not None:
            handler, self._handler = self._handler, None
            await handler.close_async()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._cleanup is not None:
            cleanup, self._cleanup = self._cleanup, None
            await cleanup()
        self._closed.set()


def interactive_adapter(settings: Settings) -> SlackInteractive | None:
    """Socket Mode when SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set, else None (HTTP mode
    is `hotpapers serve`)."""
    if settings.slack_app_token is None or settings.slack_bot_token is None:
        return None
    return SlackInteractive(settings)
