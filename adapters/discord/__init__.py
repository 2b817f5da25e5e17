"""Discord: the platform `adapters.registry` names "discord" (a bot account, discord.py).

- posting digests: `open_chat_adapter` (`post.DiscordChatAdapter`, REST only): a parent
  message with a public thread started from it, one message per paper; forum posts in
  forum channels;
- slash commands `/hot`, `/subscribe`, `/unsubscribe`, `/subscriptions` over the gateway:
  `interactive_adapter` (`gateway.DiscordInteractive`: an `AutoShardedClient` over the
  shards this process holds among the live gateway processes);
- the same commands as HTTP interactions at `/discord/interactions` of `hotpapers serve`
  (Ed25519-signed, DISCORD_PUBLIC_KEY): `open_web_routes` (`interactions`).

Webhook mode (no bot account) is the separate platform "webhook": `adapters.discord.webhook`.
Modules: client (where discord.py sends its requests, the global pace, login, errors),
post, commands, gateway (shards), interactions, webhook.
"""

from __future__ import annotations

from adapters.discord.gateway import DiscordInteractive
from adapters.discord.interactions import open_web_routes
from adapters.discord.post import open_chat_adapter
from bot.settings import Settings


def interactive_adapter(settings: Settings) -> DiscordInteractive | None:
    """The slash-command side, or None without DISCORD_TOKEN."""
    if settings.discord_token is None:
        return None
    return DiscordInteractive(settings)


__all__ = ["DiscordInteractive", "interactive_adapter", "open_chat_adapter", "open_web_routes"]
