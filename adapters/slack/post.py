"""Posting digests to Slack: `SlackChatAdapter` (the `ChatAdapter` of bot.chat) on
slack_sdk's `AsyncWebClient`.

A digest is a parent message and one threaded reply per paper (`thread_ts`). Each message
carries its idempotency key in Slack message metadata (`hotpapers_message`), so that
`find_message` can read it back from the channel history or the thread after a crash.
429s are retried by the client (`Retry-After`), and sends are paced per channel so they
are rare. Slack errors become `PermanentDeliveryError` (the channel is gone or the bot
lost access) or `TransientDeliveryError` (anything that may pass).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import client as slack_client
from adapters.slack import pacing
from adapters.slack.client import check_token, guarded, make_client
from adapters.slack.pacing import ChannelPacer
from bot.errors import ConfigurationError, TransientDeliveryError
from bot.models import DeliveryRef, Digest, RankedPaper
from bot.render.slack import SlackMessage, paper_message, parent_message
from bot.settings import Settings

log = logging.getLogger(__name__)

METADATA_EVENT = "hotpapers_message"
HISTORY_PAGES = 5  # how far back find_message looks (200 messages a page)


class SlackChatAdapter:
    """Posts digests to Slack channels (channel ids like `C0123456`)."""

    platform = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        per_channel_rate: float | None = None,
        owns_session: aiohttp.ClientSession | None = None,
        pacer: ChannelPacer | None = None,
    ) -> None:
        self.client = client
        self.per_channel_rate = per_channel_rate or pacing.PER_CHANNEL_RATE
        self.pacer = pacer or ChannelPacer()
        self._owned_session = owns_session

    # --- sending ------------------------------------------------------------------

    async def post(
        self, channel: str, message: SlackMessage, *, key: str, thread_ts: str | None = None
    ) -> DeliveryRef:
        """Post one rendered message (paced per channel); returns its ts."""
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
        async with self.pacer.turn(channel, 1.0 / self.per_channel_rate):
            resp = await guarded(self.client.chat_postMessage(
                channel=channel,
                text=message["text"],
                blocks=message["blocks"],
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            ))
        ts = str(resp["ts"])
        return DeliveryRef(message_id=ts, thread_id=thread_ts or ts)

    async def send_parent(
        self, channel: str, digest: Digest, *, key: str, notes: Iterable[str] = ()
    ) -> DeliveryRef:
        return await self.post(channel, parent_message(digest, notes), key=key)

    async def send_paper(
        self,
        channel: str,
        parent: DeliveryRef,
        digest: Digest,
        paper: RankedPaper,
        *,
        key: str,
    ) -> DeliveryRef:
        thread_ts = parent.thread_id or parent.message_id
        return await self.post(channel, paper_message(digest, paper), key=key, thread_ts=thread_ts)

    async def post_digest(
        self, channel: str, digest: Digest, *, key_prefix: str, notes: Iterable[str] = (),
        attempts: int = 3,
    ) -> list[DeliveryRef]:
        """The whole thread at once (on-demand answers; the publisher drives the daily
        post message by message with its ledger): parent, then the papers in rank order.
        A send that fails transiently is looked up by its key before it is sent again."""
        parent = await self._settled(
            channel, None, f"{key_prefix}:0", attempts,
            lambda key: self.send_parent(channel, digest, key=key, notes=notes))
        refs = [parent]

        def reply(paper: RankedPaper) -> Callable[[str], Awaitable[DeliveryRef]]:
            async def send(key: str) -> DeliveryRef:
                return await self.send_paper(channel, parent, digest, paper, key=key)
            return send

        for paper in digest.papers:
            refs.append(await self._settled(
                channel, parent, f"{key_prefix}:{paper.rank}", attempts, reply(paper)))
        return refs

    async def _settled(
        self, channel: str, parent: DeliveryRef | None, key: str, attempts: int,
        send: Callable[[str], Awaitable[DeliveryRef]],
    ) -> DeliveryRef:
        for attempt in range(attempts):
            try:
                if attempt:
                    found = await self.find_message(channel, key, parent)
                    if found is not None:
                        return found
                return await send(key)
            except TransientDeliveryError:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(slack_client.RETRY_BACKOFF * 2**attempt)
        raise AssertionError("unreachable")

    # --- reading back -------------------------------------------------------------
    async def find_message(
        self, channel: str, key: str, parent: DeliveryRef | None
    ) -> DeliveryRef | None:
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            if parent is None:
                resp = await guarded(self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200, cursor=cursor))
            else:
                thread = parent.thread_id or parent.message_id
                resp = await guarded(self.client.conversations_replies(
                    channel=channel, ts=thread, include_all_metadata=True, limit=200,
                    cursor=cursor))
            for msg in resp.get("messages") or []:
                if _message_key(msg) == key:
                    ts = str(msg["ts"])
                    return DeliveryRef(message_id=ts, thread_id=str(msg.get("thread_ts") or ts))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
        return None

    async def close(self) -> None:
        if self._owned_session is not None:
            await self._owned_session.close()
            self._owned_session = None


def _message_key(message: dict[str, Any]) -> str | None:
    meta = message.get("metadata") or {}
    if meta.get("event_type") != METADATA_EVENT:
        return None
    payload = meta.get("event_payload") or {}
    key = payload.get("key")
    return str(key) if key is not None else None


async def open_chat_adapter(settings: Settings) -> SlackChatAdapter:
    """A posting adapter for SLACK_BOT_TOKEN, checked with `auth.test` (one-line
    ConfigurationError when it is missing or revoked)."""
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise ConfigurationError(
            "SLACK_BOT_TOKEN is missing; set it to your Slack app's bot token (xoxb-...)"
        )
    session = aiohttp.ClientSession()
    client = make_client(settings, settings.slack_bot_token.get_secret_value(), session=session)
    try:
        await check_token(client)
    except BaseException:
        await session.close()
        raise
    return SlackChatAdapter(client, owns_session=session)
