"""The one interface every chat platform implements.

The publisher (`bot.publish`) drives a digest message by message through a
`ChatAdapter` so that it can keep an exactly-once delivery ledger: it records a
message as pending, sends it with an idempotency `key`, then records the platform's
message id. After a crash, `find_message` settles a send that is in doubt (Discord:
the nonce; Slack: message metadata read back from the thread).

Adapters import `bot` but never each other; `bot` imports only this module of
`adapters` (and `adapters.registry` to build one by name), never a platform SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.models import Answer, Command, DeliveryRef, Digest, RankedPaper

if TYPE_CHECKING:
    from bot.core import Core


class DeliveryError(Exception):
    """A message could not be delivered."""


class PermanentDeliveryError(DeliveryError):
    """The channel is gone or the bot lost access: pause the channel, don't retry."""


class TransientDeliveryError(DeliveryError):
    """A failure that may pass (5xx, timeouts, rate limits not absorbed): retry later."""


class ConfigurationError(Exception):
    """A missing or rejected credential or setting; the message is one line for the user."""


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


def parse_target(target: str) -> tuple[str, str]:
    """`slack:C123` -> ("slack", "C123"). Raises ValueError with a one-line hint."""
    platform, sep, channel = target.partition(":")
    if not sep or not platform or not channel:
        raise ValueError(
            f"'{target}' is not a channel target; type it as platform:channel, "
            "for example slack:C0123456 or discord:123456789012345678"
        )
    return platform.strip().lower(), channel.strip()
