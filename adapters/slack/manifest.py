"""The Slack app manifest `hotpapers slack-manifest` prints (paste it into
api.slack.com/apps -> Create an app -> From a manifest)."""

from __future__ import annotations

from typing import Any

from adapters.slack.install import BOT_SCOPES


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
