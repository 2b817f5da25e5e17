"""Platform name -> adapter module, imported only when used (so `hotpapers post --to
console:-` never loads discord.py). Each module exposes
`async def open_chat_adapter(settings) -> ChatAdapter` and, when the platform takes
commands, `def interactive_adapter(settings) -> InteractiveAdapter | None`."""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import cast

from adapters.base import ChatAdapter, ConfigurationError, InteractiveAdapter
from bot.settings import Settings

log = logging.getLogger("hotpapers.adapters")

# The first module of each list that is installed is used.
MODULES: dict[str, tuple[str, ...]] = {
    "slack": ("adapters.slack_app", "adapters.slack_post"),
    "discord": ("adapters.discord_bot",),
    "webhook": ("adapters.discord_webhook",),
    "console": ("adapters.console",),
}
PLATFORMS = tuple(MODULES)


def _module(platform: str) -> ModuleType:
    names = MODULES.get(platform.strip().lower())
    if names is None:
        raise ConfigurationError(
            f"unknown platform '{platform}'; use one of {', '.join(PLATFORMS)} "
            "(for example slack:C0123456)"
        )
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    raise ConfigurationError(f"the {platform} adapter is not available in this installation")


async def open_chat_adapter(platform: str, settings: Settings) -> ChatAdapter:
    """The posting side of `platform`, logged in. Raises ConfigurationError (one line)
    for an unknown platform or a missing/rejected token."""
    adapter = await _module(platform).open_chat_adapter(settings)
    return cast(ChatAdapter, adapter)


def interactive_adapters(settings: Settings) -> list[InteractiveAdapter]:
    """Every configured platform that takes commands (`/hot ...`)."""
    found: list[InteractiveAdapter] = []
    for platform in PLATFORMS:
        try:
            module = _module(platform)
        except ConfigurationError as exc:
            log.info("%s", exc)
            continue
        factory = getattr(module, "interactive_adapter", None)
        if factory is None:
            continue
        adapter = factory(settings)
        if adapter is not None:
            found.append(cast(InteractiveAdapter, adapter))
    return found


class ChatAdapters:
    """Chat adapters opened once per process and on first use; platforms that can't be
    opened (no token) are remembered with their one-line reason."""

    def __init__(self, settings: Settings, opened: dict[str, ChatAdapter] | None = None) -> None:
        self.settings = settings
        self.opened: dict[str, ChatAdapter] = dict(opened or {})
        self.unavailable: dict[str, str] = {}

    async def for_platforms(self, platforms: set[str]) -> dict[str, ChatAdapter]:
        for platform in sorted(platforms - set(self.opened)):
            try:
                self.opened[platform] = await open_chat_adapter(platform, self.settings)
                self.unavailable.pop(platform, None)
            except ConfigurationError as exc:
                if self.unavailable.get(platform) != str(exc):
                    log.warning("cannot post to %s: %s", platform, exc)
                self.unavailable[platform] = str(exc)
        return {p: a for p, a in self.opened.items() if p in platforms}

    async def close(self) -> None:
        for adapter in self.opened.values():
            try:
                await adapter.close()
            except Exception:  # closing is best effort
                log.exception("closing the %s adapter failed", adapter.platform)
        self.opened.clear()
