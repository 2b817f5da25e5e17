"""Socket Mode (the worker, `hotpapers run`): `SlackInteractive` connects with
SLACK_APP_TOKEN and serves `/hot` until closed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import build_app
from adapters.slack.client import check_token, make_client, slack_error
from adapters.slack.commands import SlackCommands
from adapters.slack.install import oauth_enabled, oauth_settings
from bot.errors import ConfigurationError, PlatformUnavailable
from bot.models import Answer, Command
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core


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
            if exc.response.status_code >= 500:
                raise PlatformUnavailable(f"Slack could not open a Socket Mode connection "
                                          f"(HTTP {exc.response.status_code})") from None
            raise ConfigurationError(f"SLACK_APP_TOKEN was rejected by Slack "
                                     f"({slack_error(exc)}); set a valid app-level token "
                                     "(xapp-...) with connections:write") from None
        except BaseException:
            await self.close()
            raise

    async def start(self, core: Core) -> None:
        self._closed = asyncio.Event()  # started again after a failure: a fresh wait
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
