"""Platform name -> adapter module, imported only when used (so `hotpapers post --to
console:-` never loads discord.py). The CLI (the composition root) reaches every platform
through here and imports no platform module itself.

A platform module exposes
- `async def open_chat_adapter(settings) -> ChatAdapter` (posting; required);
- `def interactive_adapter(settings) -> InteractiveAdapter | None` (commands; optional);
- `async def open_web_routes(core, settings, *, check_token_first) -> WebRoutes | None`
  (HTTP endpoints `hotpapers serve` mounts; optional);
- `def manifest(public_url, name) -> dict` (an app manifest; optional).
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from bot.chat import ChatAdapter, InteractiveAdapter, WebRoutes
from bot.errors import ConfigurationError, PlatformUnavailable, TransientDeliveryError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("hotpapers.adapters")

MODULES: dict[str, str] = {
    "slack": "adapters.slack",
    "discord": "adapters.discord",
    "webhook": "adapters.discord.webhook",
    "console": "adapters.console",
}
PLATFORMS = tuple(MODULES)


def _module(platform: str) -> ModuleType:
    name = MODULES.get(platform.strip().lower())
    if name is None:
        raise ConfigurationError(
            f"unknown platform '{platform}'; use one of {', '.join(PLATFORMS)} "
            "(for example slack:C0123456)"
        )
    return importlib.import_module(name)


async def open_chat_adapter(platform: str, settings: Settings) -> ChatAdapter:
    """The posting side of `platform`, logged in. Raises ConfigurationError (one line)
    for an unknown platform or a missing/rejected token."""
    adapter = await _module(platform).open_chat_adapter(settings)
    return cast(ChatAdapter, adapter)


def interactive_adapters(settings: Settings) -> list[InteractiveAdapter]:
    """Every configured platform that takes commands (`/hot ...`)."""
    found: list[InteractiveAdapter] = []
    for platform in PLATFORMS:
        factory = getattr(_module(platform), "interactive_adapter", None)
        if factory is None:
            continue
        adapter = factory(settings)
        if adapter is not None:
            found.append(cast(InteractiveAdapter, adapter))
    return found


async def open_web_routes(core: Core, settings: Settings, *, check_token_first: bool = True
                          ) -> list[WebRoutes]:
    """The HTTP endpoints of every configured platform, for `hotpapers serve`. Raises
    ConfigurationError (one line) when a platform is configured but can't start; the
    routes already opened are released first."""
    opened: list[WebRoutes] = []
    try:
        for platform in PLATFORMS:
            factory = getattr(_module(platform), "open_web_routes", None)
            if factory is None:
                continue
            routes = await factory(core, settings, check_token_first=check_token_first)
            if routes is not None:
                opened.append(cast(WebRoutes, routes))
    except BaseException:
        for routes in opened:
            await routes.close()
        raise
    return opened


def manifest(platform: str, public_url: str | None, name: str) -> dict[str, Any]:
    """The platform's app manifest (ConfigurationError when it has none)."""
    factory = getattr(_module(platform), "manifest", None)
    if factory is None:
        raise ConfigurationError(f"{platform} has no app manifest")
    return cast(dict[str, Any], factory(public_url, name))


class Unreachable:
    """Stands in for a platform that can't be reached right now (`PlatformUnavailable`):
    every send fails transiently, so the publisher leaves its channels unfinished and the
    scheduler posts them when the platform is back, instead of skipping them."""

    reads_back = True  # nothing was sent: there is nothing in doubt to resend blindly

    def __init__(self, platform: str, reason: str) -> None:
        self.platform, self.reason = platform, reason

    async def send_parent(self, channel: str, digest: Any, *, key: str,
                          notes: tuple[str, ...] = ()) -> Any:
        raise TransientDeliveryError(self.reason)

    async def send_paper(self, channel: str, parent: Any, digest: Any, paper: Any, *,
                         key: str) -> Any:
        raise TransientDeliveryError(self.reason)

    async def find_message(self, channel: str, wanted: Any, parent: Any) -> Any:
        raise TransientDeliveryError(self.reason)

    async def close(self) -> None:
        return None


class ChatAdapters:
    """Chat adapters opened once per process and on first use; platforms that can't be
    opened (no token) are remembered with their one-line reason; platforms that can't be
    reached now are tried again on the next call (`Unreachable` meanwhile)."""

    def __init__(self, settings: Settings, opened: dict[str, ChatAdapter] | None = None) -> None:
        self.settings = settings
        self.opened: dict[str, ChatAdapter] = dict(opened or {})
        self.unavailable: dict[str, str] = {}
        self.unreachable: dict[str, str] = {}

    async def for_platforms(self, platforms: set[str]) -> dict[str, ChatAdapter]:
        stand_ins: dict[str, ChatAdapter] = {}
        for platform in sorted(platforms - set(self.opened)):
            try:
                self.opened[platform] = await open_chat_adapter(platform, self.settings)
                self.unavailable.pop(platform, None)
                self.unreachable.pop(platform, None)
            except ConfigurationError as exc:
                if self.unavailable.get(platform) != str(exc):
                    log.warning("cannot post to %s: %s", platform, exc)
                self.unavailable[platform] = str(exc)
            except PlatformUnavailable as exc:
                if self.unreachable.get(platform) != str(exc):
                    log.warning("cannot post to %s now: %s; its channels wait", platform, exc)
                self.unreachable[platform] = str(exc)
                stand_ins[platform] = cast(ChatAdapter, Unreachable(platform, str(exc)))
        return {p: a for p, a in (self.opened | stand_ins).items() if p in platforms}

    async def close(self) -> None:
        for adapter in self.opened.values():
            try:
                await adapter.close()
            except Exception:  # closing is best effort
                log.exception("closing the %s adapter failed", adapter.platform)
        self.opened.clear()
