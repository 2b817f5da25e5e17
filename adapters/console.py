"""A `ChatAdapter` that prints to the terminal: `hotpapers post --to console:-` shows
exactly the messages a channel would get (the parent, then one reply per paper).

The terminal keeps no history, so `find_message` only knows this process's messages.
"""

from __future__ import annotations

import itertools

from rich.console import Console
from rich.text import Text

from bot.chat import Wanted
from bot.models import DeliveryRef, Digest, RankedPaper
from bot.render.common import counts_line, paper_count, shorten, sources_line
from bot.settings import Settings

ABSTRACT_CHARS = 300


class ConsoleChatAdapter:
    platform = "console"
    reads_back = True  # this process's own messages

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self._ids = itertools.count(1)
        self._sent: dict[tuple[str, str], DeliveryRef] = {}

    async def send_parent(self, channel: str, digest: Digest, *, key: str,
                          notes: tuple[str, ...] = ()) -> DeliveryRef:
        scope = ", ".join(digest.categories_filter or digest.listing)
        what = paper_count(len(digest.papers)) if digest.papers else "no paper got enough attention"
        self.console.rule(Text(f"[{channel}] {digest.heading} — {what} · {scope}", style="bold"),
                          align="left")
        extra = sources_line(digest)
        for line in (extra, *notes):
            if line:
                self.console.print(Text(line, style="dim"))
        message_id = str(next(self._ids))
        ref = DeliveryRef(message_id=message_id, thread_id=message_id)
        self._sent[(channel, key)] = ref
        return ref

    async def send_paper(
        self,
        channel: str,
        parent: DeliveryRef,
        digest: Digest,
        paper: RankedPaper,
        *,
        key: str,
    ) -> DeliveryRef:
        p = paper.paper
        self.console.print(Text.assemble((f"  ↳ {paper.rank}. ", "bold"), (p.title, "bold cyan")))
        self.console.print(Text(f"     {shorten(', '.join(p.authors), 200)}", style="italic"))
        self.console.print(Text(f"     score {paper.score} · {counts_line(paper)}",
                                style="yellow"))
        self.console.print(Text(f"     {p.abs_url} | {p.pdf_url} · " + " ".join(
            f"[{c}]" for c in p.categories), style="green"))
        if p.abstract:
            self.console.print(Text("     " + shorten(p.abstract, ABSTRACT_CHARS)))
        if paper.mentions:
            self.console.print(Text(f"     top post: {paper.mentions[0].url}", style="dim"))
        ref = DeliveryRef(message_id=str(next(self._ids)), thread_id=parent.thread_id)
        self._sent[(channel, key)] = ref
        return ref

    async def find_message(
        self, channel: str, wanted: Wanted, parent: DeliveryRef | None
    ) -> DeliveryRef | None:
        return self._sent.get((channel, wanted.key))

    async def close(self) -> None:
        return None


async def open_chat_adapter(settings: Settings) -> ConsoleChatAdapter:
    return ConsoleChatAdapter()
