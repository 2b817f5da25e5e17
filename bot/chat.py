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
import re
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
from bot.redact import parse_webhook_url, redact
from bot.settings import Settings

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


# What a channel id looks like on each platform, and how to say so in one line.
CHANNEL_IDS: dict[str, tuple[re.Pattern[str], str]] = {
    "slack": (re.compile(r"^[CGD][A-Z0-9]{1,20}$"),
              "not a Slack channel id; use the channel ID from the channel's details (C "
              "followed by capital letters and digits), for example slack:C0123456"),
    "discord": (re.compile(r"^[1-9][0-9]{0,19}$"),
                "not a Discord channel id; use the number from Copy Channel ID, for example "
                "discord:123456789012345678"),
    "webhook": (re.compile(r"^[a-z][a-z0-9_-]{0,31}$|^[1-9][0-9]{0,19}$"),
                "not a webhook name; use a name from HOTPAPERS_DISCORD_WEBHOOKS (lower-case "
                "letters, digits, - and _), default for DISCORD_WEBHOOK_URL, or the webhook's "
                "URL, for example webhook:default"),
    "console": (re.compile(r"^\S{1,64}$"),
                "not a console channel; use one word, for example console:-"),
}
PLATFORMS = tuple(CHANNEL_IDS)
MAX_DISCORD_ID = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Target:
    """A channel to post to or subscribe: `slack:C0123456`, `webhook:lab`. A webhook URL
    typed on the command line becomes its webhook id, the URL (a secret) is kept in
    `webhook_url` for this process only and never shown."""

    platform: str
    channel: str
    webhook_url: str | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.platform}:{self.channel}"


def check_channel(platform: str, channel: str) -> None:
    """Raise UsageError (one line) unless `channel` is a well-formed id on `platform`."""
    if platform not in CHANNEL_IDS:
        raise UsageError(
            f"unknown platform '{redact(platform)[:40]}'; use one of {', '.join(PLATFORMS)} "
            "(for example slack:C0123456)")
    shape, hint = CHANNEL_IDS[platform]
    ok = bool(shape.match(channel))
    if ok and platform in ("discord", "webhook") and channel.isdigit():
        ok = int(channel) <= MAX_DISCORD_ID
    if not ok:
        shown = "that" if parse_webhook_url(channel) else f"'{redact(channel)[:60]}'"
        raise UsageError(f"{shown} is {hint}")


def parse_target(text: str, settings: Settings | None = None, *, allow_url: bool = True
                 ) -> Target:
    """`slack:C123` -> Target("slack", "C123"), for every command that names a channel
    (subscribe, unsubscribe, post). Raises UsageError with a one-line hint that never
    echoes a secret. A webhook URL is accepted when `allow_url` (posting now), and
    refused where it would be stored; with `settings`, a webhook name must be
    configured."""
    platform, sep, channel = text.partition(":")
    platform, channel = platform.strip().lower(), channel.strip()
    if not sep or not platform or not channel:
        shown = "that" if "/webhooks/" in text else f"'{redact(text)[:60]}'"
        raise UsageError(
            f"{shown} is not a channel target; type it as platform:channel, "
            "for example slack:C0123456 or discord:123456789012345678"
        )
    if platform == "webhook" and parse_webhook_url(channel) is not None:
        if not allow_url:
            raise UsageError(
                "a webhook URL is a secret and is never stored; add it to "
                'HOTPAPERS_DISCORD_WEBHOOKS as {"name": "<the URL>"}, then use webhook:name')
        webhook_id, _token = parse_webhook_url(channel) or ("", "")
        return Target("webhook", webhook_id, webhook_url=channel)
    check_channel(platform, channel)
    if platform == "webhook" and settings is not None:
        _check_configured(channel, settings)
    return Target(platform, channel)


def _check_configured(name: str, settings: Settings) -> None:
    if settings.webhook_url(name) is not None:
        return
    if name.isdigit() and any(
            (parse_webhook_url(url.get_secret_value()) or ("",))[0] == name
            for url in (settings.discord_webhook_url, *settings.discord_webhooks.values())
            if url is not None):
        return
    if name == "default":
        raise UsageError("webhook:default is DISCORD_WEBHOOK_URL, and DISCORD_WEBHOOK_URL is not "
                         "set; set it to the webhook's URL, or use a name from "
                         "HOTPAPERS_DISCORD_WEBHOOKS")
    known = ", ".join(settings.webhook_names()) or "none yet"
    raise UsageError(f"webhook:{name} is not configured (configured: {known}); add it to "
                     'HOTPAPERS_DISCORD_WEBHOOKS, for example {"' + name
                     + '": "https://discord.com/api/webhooks/ID/TOKEN"}')


__all__ = [
    "CLOCK_SKEW",
    "PLATFORMS",
    "ChatAdapter",
    "DeliveryError",
    "InDoubtDeliveryError",
    "InteractiveAdapter",
    "PermanentDeliveryError",
    "Target",
    "TransientDeliveryError",
    "Wanted",
    "WebRoutes",
    "check_channel",
    "parse_target",
]
