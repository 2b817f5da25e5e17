"""The chat port: what the core drives and every platform adapter implements.

The publisher (`bot.publish`) drives a digest message by message through a
`ChatAdapter` so that it can keep an exactly-once delivery ledger: it records a
message as pending, sends it with an idempotency `key`, then records the platform's
message id. After a crash, `find_message` settles a send that is in doubt (Slack:
message metadata read back from the thread; Discord: the key in data readers don't see).

An `InteractiveAdapter` also receives commands (`/hot ...`), turns them into a neutral
`Command`, asks `Core.answer`, and posts the `Answer` back.

The core depends on this module only; adapters (`adapters/<platform>/`) implement it and
are found by name through `adapters.registry`. Delivery errors (`bot.errors`) are
re-exported here because they are part of the port: an adapter raises
`PermanentDeliveryError` (pause the channel), `TransientDeliveryError` (retry later) or
`InDoubtDeliveryError` (the send may have landed: read back before resending).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from bot.errors import (
    DeliveryError,
    InDoubtDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    UsageError,
)
from bot.models import Answer, Command, DeliveryRef, Digest, RankedPaper

if TYPE_CHECKING:
    from bot.core import Core


@runtime_checkable
class ChatAdapter(Protocol):
    """Posting side of a platform. Channels are the platform's channel ids."""

    platform: str

    async def send_parent(self, channel: str, digest: Digest, *, key: str) -> DeliveryRef:
        """Post the digest's parent message (or the one "no papers today" message)."""
        ...

    async def send_paper(
        self,
        channel: str,
        parent: DeliveryRef,
        digest: Digest,
        paper: RankedPaper,
        *,
        key: str,
    ) -> DeliveryRef:
        """Post one paper as a reply in the parent's thread."""
        ...

    async def find_message(
        self, channel: str, key: str, parent: DeliveryRef | None
    ) -> DeliveryRef | None:
        """The message sent earlier with `key`, if the platform has it (settles in-doubt
        sends after a crash). `parent` is None when looking for the parent itself."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class InteractiveAdapter(Protocol):
    """A platform that also receives commands (`/hot ...`) and answers them."""

    platform: str

    async def start(self, core: Core) -> None:
        """Connect and serve commands until `close()`."""
        ...

    async def reply(self, command: Command, answer: Answer) -> None: ...

    async def close(self) -> None: ...


async def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class WebRoutes:
    """What a platform adds to `hotpapers serve`: aiohttp route definitions (Slack
    events, OAuth pages, Discord interactions), the coroutine that releases what they
    hold, and the paths for the start-up line."""

    platform: str
    routes: Sequence[Any]  # aiohttp.web.RouteDef
    close: Callable[[], Awaitable[None]] = _nothing
    paths: tuple[str, ...] = field(default_factory=tuple)


def parse_target(target: str) -> tuple[str, str]:
    """`slack:C123` -> ("slack", "C123"). Raises UsageError with a one-line hint."""
    platform, sep, channel = target.partition(":")
    if not sep or not platform or not channel:
        raise UsageError(
            f"'{target}' is not a channel target; type it as platform:channel, "
            "for example slack:C0123456 or discord:123456789012345678"
        )
    return platform.strip().lower(), channel.strip()


__all__ = [
    "ChatAdapter",
    "DeliveryError",
    "InDoubtDeliveryError",
    "InteractiveAdapter",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "WebRoutes",
    "parse_target",
]
