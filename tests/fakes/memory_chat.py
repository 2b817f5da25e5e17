"""An in-memory `ChatAdapter` for the publisher's and the scheduler's tests: it keeps
every message it was asked to post, per channel and in order, and can be told to fail.
(It lives with the fakes, not in the package: users have `console:` for dry runs, and
nothing but tests needs a chat platform that forgets everything at exit.)

Failures on command: `gone` channels raise `PermanentDeliveryError` (a deleted
channel), `flaky[channel] = n` makes the next n sends to that channel raise
`TransientDeliveryError`, `lose_reply[channel] = n` makes the next n sends land but
raise `InDoubtDeliveryError` anyway (the reply was lost: an in-doubt send), and
`crash_after` raises `SimulatedCrash` (not an `Exception`, like a `kill -9`) right after
that many messages landed. `reads_back=False` makes it behave like a webhook (no
history to settle a send in doubt).

Tests get a fresh one from the `memory_chat` fixture (tests/conftest.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from bot.chat import Wanted
from bot.errors import InDoubtDeliveryError, PermanentDeliveryError, TransientDeliveryError
from bot.models import DeliveryRef, Digest, RankedPaper


class SimulatedCrash(BaseException):
    """The process "died" here (a BaseException so that nothing handles it)."""


@dataclass(frozen=True, slots=True)
class PostedMessage:
    channel: str
    message_id: str
    key: str
    text: str
    thread_id: str | None = None  # the parent's id for replies
    rank: int = 0  # 0 for the parent
    arxiv_id: str = ""  # "" for the parent


class MemoryChatAdapter:
    """A `ChatAdapter` whose platform is a dict."""

    def __init__(self, platform: str = "memory", *, reads_back: bool = True) -> None:
        self.platform = platform
        self.reads_back = reads_back
        self.messages: dict[str, list[PostedMessage]] = {}
        self.gone: set[str] = set()
        self.flaky: dict[str, int] = {}
        self.lose_reply: dict[str, int] = {}
        self.crash_after: int | None = None
        self.finds = 0
        self.closed = False
        self._ids = itertools.count(1)

    # --- ChatAdapter -------------------------------------------------------------------
    async def send_parent(self, channel: str, digest: Digest, *, key: str,
                          notes: tuple[str, ...] = ()) -> DeliveryRef:
        n = len(digest.papers)
        text = f"{digest.heading}: {n} paper{'s' if n != 1 else ''}"
        if digest.categories_filter:
            text += f" ({', '.join(digest.categories_filter)})"
        msg = self._post(channel, key, text, None, 0, "")
        return DeliveryRef(message_id=msg.message_id, thread_id=msg.message_id)

    async def send_paper(
        self,
        channel: str,
        parent: DeliveryRef,
        digest: Digest,
        paper: RankedPaper,
        *,
        key: str,
    ) -> DeliveryRef:
        thread = parent.thread_id or parent.message_id
        msg = self._post(channel, key, f"{paper.rank}. {paper.paper.title}", thread, paper.rank,
                         paper.paper.arxiv_id)
        return DeliveryRef(message_id=msg.message_id, thread_id=thread)

    async def find_message(
        self, channel: str, wanted: Wanted, parent: DeliveryRef | None
    ) -> DeliveryRef | None:
        self.finds += 1
        if not self.reads_back:
            raise AssertionError("find_message on an adapter that can't read back")
        for msg in self.messages.get(channel, ()):
            if msg.key == wanted.key:
                return DeliveryRef(msg.message_id, msg.thread_id or msg.message_id)
        return None

    async def close(self) -> None:
        self.closed = True

    # --- helpers for tests -------------------------------------------------------------
    def _post(
        self, channel: str, key: str, text: str, thread: str | None, rank: int, arxiv_id: str
    ) -> PostedMessage:
        if channel in self.gone:
            raise PermanentDeliveryError(f"channel {channel} not found")
        if self.flaky.get(channel, 0) > 0:
            self.flaky[channel] -= 1
            raise TransientDeliveryError(f"{channel}: server error 503")
        msg = PostedMessage(channel, str(next(self._ids)), key, text, thread, rank, arxiv_id)
        self.messages.setdefault(channel, []).append(msg)
        if self.crash_after is not None and self.total() >= self.crash_after:
            self.crash_after = None
            raise SimulatedCrash(f"crashed after message {msg.message_id}")
        if self.lose_reply.get(channel, 0) > 0:
            self.lose_reply[channel] -= 1
            raise InDoubtDeliveryError(f"{channel}: timed out waiting for the reply")
        return msg

    def total(self) -> int:
        return sum(len(v) for v in self.messages.values())

    def papers(self, channel: str) -> list[str]:
        """The arXiv ids a channel got, in posting order (the parent is "parent")."""
        return [m.arxiv_id or "parent" for m in self.messages.get(channel, ())]

    def ranks(self, channel: str) -> list[int]:
        """The channel's messages as ranks in posting order (0 = parent)."""
        return [m.rank for m in self.messages.get(channel, ())]
