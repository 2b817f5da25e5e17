"""Optional multi-workspace install (OAuth v2) for HTTP mode: `/slack/install` and
`/slack/oauth_redirect`, with installations and OAuth states kept in the project's
database (slack_sdk's async SQLAlchemy stores, tables `slack_installations`,
`slack_bots`, `slack_oauth_states`, created when missing).

Enabled when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. Commands are then
authorised per workspace from the installation store instead of SLACK_BOT_TOKEN.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.base import ConfigurationError
from bot.settings import Settings

# What the bot needs: the /hot command, posting, mentions, and reading its own messages
# back (idempotency keys in message metadata) in public and private channels.
BOT_SCOPES = ("commands", "chat:write", "app_mentions:read", "channels:history",
              "groups:history")
STATE_TTL = 600


def oauth_enabled(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


async def oauth_settings(
    settings: Settings, engine: AsyncEngine | None = None
) -> tuple[AsyncOAuthSettings, AsyncEngine]:
    """The OAuth settings on the project's database, and the engine (close it with
    `await engine.dispose()`)."""
    if not settings.slack_client_id or settings.slack_client_secret is None:
        raise ConfigurationError("the Slack install needs SLACK_CLIENT_ID and "
                                 "SLACK_CLIENT_SECRET (your Slack app's Basic Information page)")
    engine = engine or create_async_engine(settings.database_url)
    installations = AsyncSQLAlchemyInstallationStore(settings.slack_client_id, engine)
    states = AsyncSQLAlchemyOAuthStateStore(STATE_TTL, engine)
    await installations.create_tables()  # type: ignore[no-untyped-call]
    await states.create_tables()  # type: ignore[no-untyped-call]
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    ), engine


def app_manifest(public_url: str | None = None, name: str = "Hot Papers") -> dict[str, Any]:
    """A Slack app manifest ("Create an app" -> "From a manifest"): the `/hot` command,
    the bot scopes and mentions. Without `public_url` the app uses Socket Mode (the
    worker, SLACK_APP_TOKEN); with it, HTTP mode at `<public_url>/slack/events` and the
    install pages of `hotpapers serve`."""
    base = public_url.rstrip("/") if public_url else None
    command: dict[str, Any] = {
        "command": "/hot",
        "description": "The arXiv papers everyone is talking about",
        "usage_hint": "[date] [categories] | subscribe cs.LG | subscriptions | help",
        "should_escape": False,
    }
    settings: dict[str, Any] = {
        "event_subscriptions": {"bot_events": ["app_mention"]},
        "org_deploy_enabled": False,
        "socket_mode_enabled": base is None,
        "token_rotation_enabled": False,
    }
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if base is not None:
        command["url"] = f"{base}/slack/events"
        settings["event_subscriptions"]["request_url"] = f"{base}/slack/events"
        oauth["redirect_urls"] = [f"{base}/slack/oauth_redirect"]
    return {
        "display_information": {"name": name, "description":
                                "The daily Hot Papers digest of arXiv, ranked by social media"},
        "features": {"bot_user": {"display_name": name, "always_online": True},
                     "slash_commands": [command]},
        "oauth_config": oauth,
        "settings": settings,
    }
