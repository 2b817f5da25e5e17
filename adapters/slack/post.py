"""Posting digests to Slack: `SlackChatAdapter` (the `ChatAdapter` of bot.chat) on
slack_sdk's `AsyncWebClient`. It only translates: one message out, one message found;
the core's delivery loop (`bot.delivery`) decides what to send, retry or settle.

A digest is a parent message and one threaded reply per paper (`thread_ts`). Each message
carries its idempotency key in Slack message metadata (`hotpapers_message`): readers
don't see it, and `find_message` reads it back with `include_all_metadata`, paging the
channel history (for a parent) or the whole thread (for a reply) from shortly before the
send was first tried until the key is found or the history ends. 429s are retried by
the client (`Retry-After`); sends are paced per channel (one pace per process, and across
workers with HOTPAPERS_REDIS_URL) so they are rare; history reads keep to their tier. A failure
after which the message may exist (5xx, timeout, dropped connection) is
`InDoubtDeliveryError`; `PermanentDeliveryError` when the channel is gone or the bot
lost access; `TransientDeliveryError` for the rest (nothing was posted).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import aiohttp
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import pacing
from adapters.slack.client import check_token, guarded, make_client
from adapters.slack.pacing import ChannelPacer
from bot.chat import Wanted
from bot.errors import ConfigurationError
from bot.models import DeliveryRef, Digest, RankedPaper
from bot.ratelimit import SharedLimiter, limiter_for
from bot.render.slack import SlackMessage, paper_message, parent_message
from bot.settings import Settings

log = logging.getLogger(__name__)

METADATA_EVENT = "hotpapers_message"
PAGE_SIZE = 200  # messages per history page (Slack may return fewer)


class SlackChatAdapter:
    """Posts digests to Slack channels (channel ids like `C0123456`). `team_url` (from
    `auth.test`) makes permalinks."""

    platform = "slack"
    reads_back = True

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        per_channel_rate: float | None = None,
        owns_session: aiohttp.ClientSession | None = None,
        pacer: ChannelPacer | None = None,
        team_url: str | None = None,
        page_size: int = PAGE_SIZE,
        team: str = "",
        redis_url: SecretStr | None = None,
    ) -> None:
        self.client = client
        self.per_channel_rate = per_channel_rate or pacing.PER_CHANNEL_RATE
        self.pacer = pacer  # None: the process's one pacer
        self.team = team  # the workspace (Slack team id), for its method tiers
        self.redis_url = redis_url  # set: channels and tiers counted across workers
        self.team_url = team_url.rstrip("/") + "/" if team_url else None
        self.page_size = page_size
        self._owned_session = owns_session

    # --- sending ------------------------------------------------------------------
    async def post(
        self, channel: str, message: SlackMessage, *, key: str, thread_ts: str | None = None
    ) -> DeliveryRef:
        """Post one rendered message (paced per channel); returns its ts."""
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
        pacer = self.pacer or pacing.process_pacer()
        shared = self.limiter() if self.redis_url is not None else None
        async with pacer.turn(channel, 1.0 / self.per_channel_rate, shared):
            resp = await guarded(self.client.chat_postMessage(
                channel=channel,
                text=message["text"],
                blocks=message["blocks"],
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            ), posting=True)
        ts = str(resp["ts"])
        return self._ref(channel, ts, thread_ts)

    def limiter(self) -> SharedLimiter:
        """The process's limiter of this bot token (bot.ratelimit)."""
        return limiter_for("slack", self.client.token or "", redis_url=self.redis_url)

    def _ref(self, channel: str, ts: str, thread_ts: str | None) -> DeliveryRef:
        link = None
        if self.team_url:
            link = f"{self.team_url}archives/{channel}/p{ts.replace('.', '')}"
            if thread_ts and thread_ts != ts:
                link += f"?thread_ts={thread_ts}&cid={channel}"
        return DeliveryRef(message_id=ts, thread_id=thread_ts or ts, permalink=link)

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

    # --- reading back -------------------------------------------------------------
    async def find_message(
        self, channel: str, wanted: Wanted, parent: DeliveryRef | None
    ) -> DeliveryRef | None:
        """The message whose metadata carries `wanted.key`: the channel's history (a
        parent) or the parent's whole thread (a reply), paged from `wanted.not_before`
        until found or the end."""
        oldest = f"{wanted.not_before.timestamp():.6f}"
        cursor: str | None = None
        while True:
            method = "conversations.history" if parent is None else "conversations.replies"
            await pacing.method_turn(self.limiter(), self.team, method)
            if parent is None:
                resp = await guarded(self.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True,
                    limit=self.page_size, cursor=cursor))
            else:
                thread = parent.thread_id or parent.message_id
                resp = await guarded(self.client.conversations_replies(
                    channel=channel, ts=thread, oldest=oldest, include_all_metadata=True,
                    limit=self.page_size, cursor=cursor))
            for msg in resp.get("messages") or []:
                if _message_key(msg) == wanted.key:
                    ts = str(msg["ts"])
                    thread_ts = str(msg.get("thread_ts") or ts)
                    return self._ref(channel, ts, thread_ts if thread_ts != ts else None)
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
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
        identity = await check_token(client)
    except BaseException:
        await session.close()
        raise
    return SlackChatAdapter(client, owns_session=session, per_channel_rate=settings.slack_rate,
                            team_url=str(identity.get("url") or "") or None,
                            team=str(identity.get("team_id") or ""),
                            redis_url=settings.redis_url)
