"""Discord, bot account (discord.py 2.x): posting digests as threads.

A digest becomes a parent message (one embed) with a PUBLIC thread started from it
(`Message.create_thread`, so the thread has the parent's id), then one message per paper
in the thread, in rank order. A forum channel gets a forum post instead (the post is the
thread, its starter message the parent). A digest without papers is one message.

Idempotency: every message is sent with `nonce=key`; discord.py adds `enforce_nonce`,
so Discord returns the first message instead of a duplicate when a send is retried
within its dedup window. Discord doesn't return nonces in channel history, so each embed
also carries its key in the footer (`· ref KEY`), and `find_message` reads recent
history back and matches the footer (or the nonce, where a message has one).

Posting needs only REST: `open_chat_adapter` logs in without the gateway. The slash
commands live in `adapters.discord.commands`.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord

from adapters.discord.client import delivery_errors, login
from bot.errors import PermanentDeliveryError
from bot.models import DeliveryRef, Digest, RankedPaper
from bot.render.discord import paper_embed, parent_embed, ref_of, thread_name
from bot.settings import Settings

log = logging.getLogger(__name__)

THREAD_EXISTS = 160004  # "A thread has already been created for this message"
AUTO_ARCHIVE_MINUTES: Literal[1440] = 1440


class DiscordChatAdapter:
    """`ChatAdapter` over a logged-in `discord.Client` (REST only)."""

    platform = "discord"

    def __init__(self, client: discord.Client, *, owns_client: bool = True,
                 history_limit: int = 100) -> None:
        self.client = client
        self.owns_client = owns_client
        self.history_limit = history_limit
        self._channels: dict[int, Any] = {}

    async def _channel(self, channel: str) -> Any:
        try:
            cid = int(channel)
        except ValueError:
            raise PermanentDeliveryError(
                f"'{channel}' is not a Discord channel id; use the number from "
                "'Copy Channel ID', for example discord:123456789012345678") from None
        if cid not in self._channels:
            async with delivery_errors(f"channel {cid}"):
                self._channels[cid] = await self.client.fetch_channel(cid)
        return self._channels[cid]

    async def send_parent(self, channel: str, digest: Digest, *, key: str,
                          notes: tuple[str, ...] = ()) -> DeliveryRef:
        target = await self._channel(channel)
        embed = discord.Embed.from_dict(parent_embed(digest, notes=notes, ref=key))
        async with delivery_errors(f"parent message in channel {channel}"):
            if isinstance(target, discord.ForumChannel):
                post = await target.create_thread(name=thread_name(digest), embeds=[embed],
                                                  auto_archive_duration=AUTO_ARCHIVE_MINUTES)
                return DeliveryRef(message_id=str(post.message.id), thread_id=str(post.thread.id))
            message = await target.send(embeds=[embed], nonce=key)
        if isinstance(target, discord.Thread):  # /hot typed inside a thread: stay in it
            return DeliveryRef(message_id=str(message.id), thread_id=str(target.id))
        if not digest.papers:
            return DeliveryRef(message_id=str(message.id))
        return DeliveryRef(message_id=str(message.id),
                           thread_id=await self._ensure_thread(message, thread_name(digest)))

    async def _ensure_thread(self, message: discord.Message, name: str) -> str:
        """The public thread started from `message` (created unless it exists; such a
        thread has the message's id)."""
        async with delivery_errors(f"thread on message {message.id}"):
            try:
                thread = await message.create_thread(
                    name=name[:100], auto_archive_duration=AUTO_ARCHIVE_MINUTES)
            except discord.HTTPException as exc:
                if exc.code == THREAD_EXISTS:
                    return str(message.id)
                raise
        return str(thread.id)

    async def send_paper(self, channel: str, parent: DeliveryRef, digest: Digest,
                         paper: RankedPaper, *, key: str) -> DeliveryRef:
        where = int(parent.thread_id or channel)
        target = self.client.get_partial_messageable(where)
        embed = discord.Embed.from_dict(paper_embed(digest, paper, ref=key))
        async with delivery_errors(f"paper {paper.rank} in thread {where}"):
            message = await target.send(embeds=[embed], nonce=key)
        return DeliveryRef(message_id=str(message.id), thread_id=parent.thread_id)

    async def send_text(self, channel: str, text: str) -> DeliveryRef:
        """A plain message (for command answers posted outside an interaction)."""
        target = self.client.get_partial_messageable(int(channel))
        async with delivery_errors(f"message in channel {channel}"):
            message = await target.send(content=text[:2000])
        return DeliveryRef(message_id=str(message.id))

    async def post_digest(self, channel: str, digest: Digest, *, key: str,
                          notes: tuple[str, ...] = ()) -> DeliveryRef:
        """The whole digest in one go (on-demand answers; the daily post goes through
        the publisher's ledger instead). Keys are `key` + part number."""
        parent = await self.send_parent(channel, digest, key=f"{key}p0", notes=notes)
        for paper in digest.papers:
            await self.send_paper(channel, parent, digest, paper, key=f"{key}p{paper.rank}")
        return parent

    async def find_message(self, channel: str, key: str,
                           parent: DeliveryRef | None) -> DeliveryRef | None:
        if parent is not None:
            where = int(parent.thread_id or channel)
            found = await self._search(self.client.get_partial_messageable(where), key)
            return DeliveryRef(str(found.id), parent.thread_id) if found else None
        target = await self._channel(channel)
        if isinstance(target, discord.ForumChannel):
            return await self._find_forum_post(target, key)
        found = await self._search(target, key)
        if found is None:
            return None
        if not _has_papers(found):
            return DeliveryRef(str(found.id))
        # The crash may have come between the parent and its thread: finish the thread.
        name = (found.embeds[0].title if found.embeds else None) or "Hot Papers"
        return DeliveryRef(str(found.id), await self._ensure_thread(found, name))

    async def _search(self, target: Any, key: str) -> discord.Message | None:
        async with delivery_errors(f"history of channel {getattr(target, 'id', '?')}"):
            async for message in target.history(limit=self.history_limit):
                if _carries(message, key):
                    return message  # type: ignore[no-any-return]
        return None

    async def _find_forum_post(self, forum: discord.ForumChannel, key: str) -> DeliveryRef | None:
        async with delivery_errors(f"posts of forum {forum.id}"):
            threads = [t for t in await forum.guild.active_threads() if t.parent_id == forum.id]
            for thread in sorted(threads, key=lambda t: t.id, reverse=True)[:25]:
                try:
                    starter = await thread.fetch_message(thread.id)
                except discord.NotFound:
                    continue
                if _carries(starter, key):
                    return DeliveryRef(str(starter.id), str(thread.id))
        return None

    async def close(self) -> None:
        if self.owns_client:
            await self.client.close()


def _carries(message: discord.Message, key: str) -> bool:
    if message.nonce is not None and str(message.nonce) == key:
        return True
    return any(ref_of(e.to_dict()) == key for e in message.embeds)  # type: ignore[arg-type]


def _has_papers(message: discord.Message) -> bool:
    if not message.embeds:
        return False
    return not (message.embeds[0].description or "").startswith("No hot papers")


async def open_chat_adapter(settings: Settings) -> DiscordChatAdapter:
    client = discord.Client(intents=discord.Intents.none())
    await login(settings, client)
    return DiscordChatAdapter(client)
