"""The chat port: what the core drives and every platform adapter implements.

The core's delivery loop (`bot.delivery`) drives a thread message by message through a
`ChatAdapter` and keeps the exactly-once ledger itself: it records a message as
pending, sends it with an idempotency `key`, records the platform's message id, and
when a send may have landed without its answer (`InDoubtDeliveryError`, or a crash) it
asks `find_message` before sending anything again. Adapters only translate: send one
message, find one message. Each finds by data readers don't see (Slack: the key in
message metadata; Discord: message ids and authorship after the time the send was first
tried, see `adapters.discord.post`), anywhere in the thread, never by visible text.
An adapter that cannot read back (`reads_back = False`: a Discord webhook) gets its
in-doubt sends marked and reported instead of resent.

An `InteractiveAdapter` also receives commands (`/hot ...`), turns them into a neutral
`Command`, asks `Core.answer`, and posts the `Answer` back (through the same loop).

The core depends on this module only; adapters (`adapters/<platform>/`) implement it and
are found by name through `adapters.registry`. Delivery errors (`bot.errors`) are
re-exported here because they are part of the port: an adapter raises
`PermanentDeliveryError` (pause the channel), `TransientDeliveryError` (certainly not
sent: retry later) or `InDoubtDeliveryError` (the send may have landed: read back first).
"""

from __future__ import annotations

import datetime as dt
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
from bot.models import PARENT, Answer, Command, DeliveryRef, Digest, RankedPaper

if TYPE_CHECKING:
    from bot.core import Core

# How far before the first attempt read-back looks: the platform's clock may differ
# from ours by this much.
CLOCK_SKEW = dt.timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Wanted:
    """What read-back looks for: the message sent with `key` for `part` ("parent" or an
    arXiv id), first tried at `since`; `known` are the message ids the ledger already
    has for the channel (other messages, never this one); `replies` how many papers a
    parent's thread will get (0: a one-message "no papers" digest)."""

    key: str
    part: str
    since: dt.datetime
    known: frozenset[str] = frozenset()
    replies: int = 0

    @property
    def not_before(self) -> dt.datetime:
        return self.since - CLOCK_SKEW

    @property
    def arxiv_id(self) -> str | None:
        return None if self.part == PARENT else self.part


@runtime_checkable
class ChatAdapter(Protocol):
    """Posting side of a platform. Channels are the platform's channel ids."""

    platform: str
    reads_back: bool  # find_message can settle an in-doubt send

    async def send_parent(self, channel: str, digest: Digest, *, key: str,
                          notes: tuple[str, ...] = ()) -> DeliveryRef:
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
        self, channel: str, wanted: Wanted, parent: DeliveryRef | None
    ) -> DeliveryRef | None:
        """The message `wanted` names, if the platform has it (settles an in-doubt
        send). `parent` is None when looking for the parent itself. Raises
        TransientDeliveryError when the platform can't be read now (or can't tell)."""
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
    "CLOCK_SKEW",
    "ChatAdapter",
    "DeliveryError",
    "InDoubtDeliveryError",
    "InteractiveAdapter",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "Wanted",
    "WebRoutes",
    "parse_target",
]
