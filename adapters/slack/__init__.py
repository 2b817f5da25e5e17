"""Slack: the platform `adapters.registry` names "slack".

- posting digests: `open_chat_adapter` (`post.SlackChatAdapter` on SLACK_BOT_TOKEN, or
  every installed workspace in OAuth mode, `install.SlackWorkspacesAdapter`);
- `/hot` and mentions: `commands.SlackCommands` on slack-bolt (`app.build_app`), served
  in Socket Mode by the worker (`interactive_adapter`, `socket_mode.SlackInteractive`)
  or over HTTP by `hotpapers serve` (`open_web_routes`: `/slack/events` and the
  optional OAuth install pages);
- `manifest`: the app manifest for api.slack.com.

Modules: client (the Web API client and its errors), pacing (1 msg/s per channel), post,
commands, app, socket_mode, install (OAuth), manifest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.slack.app import open_http_app, slack_web_routes
from adapters.slack.install import oauth_enabled, open_workspaces_adapter
from adapters.slack.manifest import app_manifest
from adapters.slack.post import open_chat_adapter as open_token_adapter
from adapters.slack.signing import SlackRequestGate
from adapters.slack.socket_mode import SlackInteractive
from bot.chat import ChatAdapter, WebRoutes
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core


async def open_chat_adapter(settings: Settings) -> ChatAdapter:
    """The posting side of Slack. With SLACK_CLIENT_ID/SECRET (OAuth mode) it posts to
    each channel with its workspace's installation (SLACK_BOT_TOKEN, when set, for the
    workspaces without one); else with SLACK_BOT_TOKEN alone."""
    if oauth_enabled(settings):
        return await open_workspaces_adapter(settings)
    return await open_token_adapter(settings)


def interactive_adapter(settings: Settings) -> SlackInteractive | None:
    """Socket Mode when SLACK_APP_TOKEN and SLACK_BOT_TOKEN are set, else None (HTTP mode
    is `hotpapers serve`)."""
    if settings.slack_app_token is None or settings.slack_bot_token is None:
        return None
    return SlackInteractive(settings)


def web_configured(settings: Settings) -> bool:
    return bool(settings.slack_bot_token or settings.slack_client_id)


async def open_web_routes(core: Core, settings: Settings, *, check_token_first: bool = True
                          ) -> WebRoutes | None:
    """HTTP mode for `hotpapers serve` (`/slack/events`, and `/slack/install` +
    `/slack/oauth_redirect` with SLACK_CLIENT_ID/SECRET); None when Slack is not
    configured. Raises ConfigurationError (one line) on a missing or rejected setting."""
    if not web_configured(settings):
        return None
    bolt, close = await open_http_app(core, settings, check_token_first=check_token_first)
    secret = settings.slack_signing_secret
    assert secret is not None  # build_app refuses HTTP mode without it
    routes = slack_web_routes(bolt, SlackRequestGate(secret.get_secret_value()))
    return WebRoutes("slack", routes, close, tuple(sorted({r.path for r in routes})))


def manifest(public_url: str | None, name: str) -> dict[str, Any]:
    return app_manifest(public_url, name)


__all__ = ["SlackInteractive", "interactive_adapter", "manifest", "open_chat_adapter",
           "open_web_routes", "web_configured"]
