"""Discord, bot account (discord.py 2.x): posting digests as threads. It only
translates: one message out, one message found; the core's delivery loop decides.

A digest becomes a parent message (one embed) with a PUBLIC thread started from it
(`Message.create_thread`, so the thread has the parent's id), then one message per paper
in the thread, in planned order. A forum channel gets a forum post instead (the post is
the thread, its starter message the parent). A digest without papers is one message.

Finding a message again (a send left in doubt) uses nothing a reader sees and no key in
the message: Discord doesn't return nonces in history, so the key can't be read back.
What identifies a message is where and when it was posted and by whom, all ids:
- a paper: in the parent's thread, after the parent, posted by this bot (not through an
  interaction or a webhook), not a message the ledger already has (`Wanted.known`), and
  linking the paper's arXiv page: the part's own id, which no other planned message of
  the thread carries (the thread's lease means no other poster writes there);
- a parent: in the channel, posted by this bot since shortly before the send was first
  tried (a snowflake made from `Wanted.not_before`), not a message the ledger has. When
  several such messages exist (other threads' parents posted at the same moment, not
  recorded yet) it can't tell and says so (transient: the loop looks again later, and
  leaves the part pending rather than guess).
History is paged with discord.py's own iterator until found or its end. Messages are
still sent with `nonce` + `enforce_nonce`, which spares a duplicate where Discord
honours it; nothing here relies on it.

Posting needs only REST: `open_chat_adapter` logs in without the gateway. The slash
commands live in `adapters.discord.commands`.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import discord
from discord.utils import time_snowflake

from adapters.discord.client import delivery_errors, login
from bot.chat import Wanted
from bot.errors import InDoubtDeliveryError, PermanentDeliveryError, TransientDeliveryError
from bot.models import ARXIV_ABS, DeliveryRef, Digest, RankedPaper
from bot.render.discord import paper_embed, parent_embed, thread_name
from bot.settings import Settings

log = logging.getLogger(__name__)

THREAD_EXISTS = 160004  # "A thread has already been created for this message"
AUTO_ARCHIVE_MINUTES: Literal[1440] = 1440
JUMP = "https://discord.com/channels/{guild}/{channel}/{message}"


class DiscordChatAdapter:
    """`ChatAdapter` over a logged-in `discord.Client` (REST only)."""

    platform = "discord"
    reads_back = True

    def __init__(self, client: discord.Client, *, owns_client: bool = True) -> None:
        self.client = client
        self.owns_client = owns_client
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

    def _ref(self, target: Any, message_id: int | str, thread_id: int | str | None,
             where: int | str) -> DeliveryRef:
        guild = getattr(getattr(target, "guild", None), "id", None)
        link = JUMP.format(guild=guild, channel=where, message=message_id) if guild else None
        return DeliveryRef(str(message_id), str(thread_id) if thread_id else None, link)

    # --- sending ------------------------------------------------------------------------
    async def send_parent(self, channel: str, digest: Digest, *, key: str,
                          notes: tuple[str, ...] = ()) -> DeliveryRef:
        target = await self._channel(channel)
        embed = discord.Embed.from_dict(parent_embed(digest, notes=notes))
        async with delivery_errors(f"parent message in channel {channel}", sending=True):
            if isinstance(target, discord.ForumChannel):
                post = await target.create_thread(name=thread_name(digest), embeds=[embed],
                                                  auto_archive_duration=AUTO_ARCHIVE_MINUTES)
                return self._ref(target, post.message.id, post.thread.id, post.thread.id)
            message = await target.send(embeds=[embed], nonce=key)
        if isinstance(target, discord.Thread):  # /hot typed inside a thread: stay in it
            return self._ref(target, message.id, target.id, target.id)
        if not digest.papers:
            return self._ref(target, message.id, None, target.id)
        try:
            thread_id = await self._ensure_thread(message, thread_name(digest))
        except TransientDeliveryError as exc:  # the parent exists: settle it, don't resend
            raise InDoubtDeliveryError(f"parent posted, its thread not made: {exc}") from exc
        return self._ref(target, message.id, thread_id, target.id)

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
        embed = discord.Embed.from_dict(paper_embed(digest, paper))
        async with delivery_errors(f"paper {paper.rank} in thread {where}", sending=True):
            message = await target.send(embeds=[embed], nonce=key)
        return self._ref(await self._channel(channel), message.id, parent.thread_id, where)

    async def send_text(self, channel: str, text: str) -> DeliveryRef:
        """A plain message (for command answers posted outside an interaction)."""
        target = self.client.get_partial_messageable(int(channel))
        async with delivery_errors(f"message in channel {channel}", sending=True):
            message = await target.send(content=text[:2000])
        return DeliveryRef(message_id=str(message.id))

    # --- reading back -------------------------------------------------------------------
    async def find_message(self, channel: str, wanted: Wanted,
                           parent: DeliveryRef | None) -> DeliveryRef | None:
        target = await self._channel(channel)
        since = time_snowflake(wanted.not_before)
        if parent is not None:
            where = int(parent.thread_id or channel)
            after = max(since, int(parent.message_id))
            url = ARXIV_ABS + (wanted.arxiv_id or "")
            found = await self._one(self.client.get_partial_messageable(where), after, wanted,
                                    lambda m: bool(m.embeds) and m.embeds[0].url == url)
            return self._ref(target, found.id, parent.thread_id, where) if found else None
        if isinstance(target, discord.ForumChannel):
            return await self._find_forum_post(target, since, wanted)
        found = await self._one(target, since, wanted, lambda m: bool(m.embeds))
        if found is None:
            return None
        if isinstance(target, discord.Thread):
            return self._ref(target, found.id, target.id, target.id)
        if not wanted.replies:
            return self._ref(target, found.id, None, target.id)
        # the crash may have come between the parent and its thread: finish the thread
        title = (found.embeds[0].title if found.embeds else None) or "Hot Papers"
        return self._ref(target, found.id, await self._ensure_thread(found, title), target.id)

    def _ours(self, message: discord.Message, wanted: Wanted) -> bool:
        """Posted by this bot itself (not an interaction answer, not a webhook) and not a
        message the ledger already has."""
        me = self.client.user
        return (me is not None and message.author.id == me.id
                and message.type == discord.MessageType.default
                and message.webhook_id is None and message.interaction_metadata is None
                and str(message.id) not in wanted.known)

    async def _one(self, target: Any, after: int, wanted: Wanted, fits: Any
                   ) -> discord.Message | None:
        """The one message of ours after snowflake `after` that `fits`; None when there
        is none; TransientDeliveryError when several could be it."""
        found: list[discord.Message] = []
        async with delivery_errors(f"history of channel {getattr(target, 'id', '?')}"):
            async for message in target.history(limit=None, after=discord.Object(after),
                                                oldest_first=True):
                if self._ours(message, wanted) and fits(message):
                    found.append(message)
        if len(found) > 1:
            raise TransientDeliveryError(
                f"{len(found)} messages of ours in channel {getattr(target, 'id', '?')} could "
                f"be {wanted.part} and none is recorded yet; looking again later")
        return found[0] if found else None

    async def _find_forum_post(self, forum: discord.ForumChannel, since: int, wanted: Wanted
                               ) -> DeliveryRef | None:
        me = self.client.user
        async with delivery_errors(f"posts of forum {forum.id}"):
            threads = [t for t in await forum.guild.active_threads()
                       if t.parent_id == forum.id and t.id > since and me is not None
                       and t.owner_id == me.id and str(t.id) not in wanted.known]
        if len(threads) > 1:
            raise TransientDeliveryError(
                f"{len(threads)} new posts of ours in forum {forum.id} could be the parent "
                "and none is recorded yet; looking again later")
        if not threads:
            return None
        return self._ref(forum, threads[0].id, threads[0].id, threads[0].id)

    async def close(self) -> None:
        if self.owns_client:
            await self.client.close()


async def open_chat_adapter(settings: Settings) -> DiscordChatAdapter:
    client = discord.Client(intents=discord.Intents.none())
    await login(settings, client)
    return DiscordChatAdapter(client)
