"""`/hot` and mentions on Slack: `SlackCommands` turns them into neutral `Command`s, asks
the core, and posts the `Answer`: a digest as a thread (parent + one reply per paper, the
same messages as the daily post, delivered through the core's one delivery loop with the
ledger: thread "hot:<trigger id>" of that day), anything else as a short (usually
ephemeral) text.

Work after the ack: a slow answer (a day built on demand) first gets a "working on it"
note. Redeliveries (event retries, Socket Mode retries) carry the same event id or
trigger id and are dropped by `drop_redeliveries`, so they never post twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import client as slack_client
from adapters.slack.client import delivery_error, read
from adapters.slack.permissions import SlackManagers
from adapters.slack.post import SlackChatAdapter
from bot.commands import changes_channel
from bot.models import PARENT, Answer, Command, DeliveryRef
from bot.plans import answer_plan
from bot.publish import publish_thread

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")
SLOW_NOTICE_AFTER = 1.5  # seconds before "working on it" is said (Slack's limit is 3 s)
NOT_IN_CHANNEL = ("I can't post in this conversation: invite me first (type /invite @hotpapers "
                  "in the channel), then try again")


class RecentIds:
    """Ids seen in the last `ttl` seconds (event ids, trigger ids): drops redeliveries."""

    def __init__(self, ttl: float = 3600.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen_before(self, key: str) -> bool:
        now = time.monotonic()
        while self._seen and (len(self._seen) > self.size
                              or next(iter(self._seen.values())) < now - self.ttl):
            self._seen.popitem(last=False)
        if key in self._seen:
            return True
        self._seen[key] = now
        return False


class SlackCommands:
    """Translates `/hot` and mentions into neutral `Command`s and posts the answers."""

    def __init__(self, core: Core, *, slow_notice_after: float | None = None,
                 per_channel_rate: float | None = None) -> None:
        self.core = core
        self.slow_notice_after = slow_notice_after or SLOW_NOTICE_AFTER
        self.per_channel_rate = per_channel_rate or core.settings.slack_rate
        self.recent = RecentIds()
        self.managers = SlackManagers(core.settings.slack_managers,
                                      redis_url=core.settings.redis_url)

    # --- bolt listeners -------------------------------------------------------------
    async def drop_redeliveries(self, body: dict[str, Any], next: Callable[[], Awaitable[Any]]
                                ) -> Any:
        key = body.get("event_id") or body.get("trigger_id")
        if key and self.recent.seen_before(str(key)):
            log.info("dropped a redelivery of %s", key)
            return BoltResponse(status=200, body="")
        return await next()

    async def on_hot(self, ack: Callable[..., Awaitable[None]], command: dict[str, Any],
                     respond: Respond, client: AsyncWebClient) -> None:
        await ack()
        cmd = await self.checked(client, Command(
            name="hot",
            args=tuple(str(command.get("text") or "").split()),
            platform="slack",
            channel=str(command.get("channel_id", "")),
            workspace=str(command.get("team_id", "")),
            user=str(command.get("user_id", "")),
            can_manage_channel=False,
        ))
        key = f"hot:{command.get('trigger_id') or time.time_ns()}"
        await self.answer(cmd, client, respond if command.get("response_url") else None, key)

    async def on_mention(self, event: dict[str, Any], body: dict[str, Any],
                         client: AsyncWebClient) -> None:
        text = MENTION.sub(" ", str(event.get("text", "")))
        cmd = await self.checked(client, Command(
            name="hot",
            args=tuple(text.split()),
            platform="slack",
            channel=str(event.get("channel", "")),
            workspace=str(body.get("team_id") or event.get("team", "")),
            user=str(event.get("user", "")),
            can_manage_channel=False,
        ))
        await self.answer(cmd, client, None, f"mention:{body.get('event_id') or event.get('ts')}")

    async def checked(self, client: AsyncWebClient, cmd: Command) -> Command:
        """`cmd` with `can_manage_channel` decided by Slack (`SlackManagers`) when it would
        change the channel; every other command stays denied (it needs no permission)."""
        if not changes_channel(cmd.name, cmd.args):
            return cmd
        verdict = await self.managers.check(client, cmd.workspace, cmd.channel, cmd.user)
        return dataclasses.replace(cmd, can_manage_channel=verdict.allowed,
                                   denied=verdict.reason)

    # --- answering ------------------------------------------------------------------
    async def answer(self, cmd: Command, client: AsyncWebClient, respond: Respond | None,
                     key: str) -> None:
        task = asyncio.ensure_future(self.core.answer(cmd))
        done, _ = await asyncio.wait({task}, timeout=self.slow_notice_after)
        if not done:
            await self.tell(cmd, client, respond, "Working on it: this day has to be counted "
                            "first. I'll post it here when it's ready.")
        try:
            result = await task
        except Exception:
            log.exception("answering /hot %s failed", " ".join(cmd.args))
            await self.tell(cmd, client, respond, "Something went wrong while answering; "
                            "try again in a minute (type /hot help for the forms).")
            return
        await self.deliver(cmd, result, client, respond, key)

    async def deliver(self, cmd: Command, result: Answer, client: AsyncWebClient,
                      respond: Respond | None, key: str) -> None:
        if result.digest is None:
            await self.tell(cmd, client, respond, result.text,
                            ephemeral=result.ephemeral or result.is_error)
            return
        poster = SlackChatAdapter(client, per_channel_rate=self.per_channel_rate,
                                  team=cmd.workspace, redis_url=self.core.settings.redis_url)
        digest = result.digest
        plan = answer_plan(digest.key, "slack", cmd.channel, cmd.workspace,
                           digest, thread=key[:64], notes=result.notes)
        report = await publish_thread(self.core.store, poster, digest, plan,
                                      backoff=slack_client.RETRY_BACKOFF,
                                      lease_ttl=self.core.settings.lease_seconds)
        if report.status == "busy":  # a redelivery of this very command
            return
        if report.status == "done":
            parent = await self.parent_of(plan.digest_key, cmd.channel, plan.thread)
            link = (parent.permalink or await permalink(client, cmd.channel, parent)
                    if parent else f"https://slack.com/app_redirect?channel={cmd.channel}")
            self.core.thread_posted(result, link)
            return
        self.core.thread_failed(result)
        no_access = any(code in report.detail for code in ("not_in_channel",
                                                            "channel_not_found"))
        if no_access:
            await self.tell(cmd, client, respond, NOT_IN_CHANNEL)
        else:
            await self.tell(cmd, client, respond, f"Posting the digest failed "
                            f"({report.detail}); try again in a minute.")

    async def parent_of(self, key: str, channel: str, thread: str) -> DeliveryRef | None:
        """Where the parent of a thread posted here landed (from the ledger)."""
        for row in await self.core.store.deliveries(key, "slack", channel, thread):
            if row.part == PARENT and row.message_id:
                return row.ref
        return None

    async def tell(self, cmd: Command, client: AsyncWebClient, respond: Respond | None,
                   text: str, *, ephemeral: bool = True) -> None:
        """A short text answer: through `response_url` when there is one (works in any
        channel), else chat.postEphemeral / chat.postMessage."""
        try:
            if respond is not None:
                await respond(text=text, response_type="ephemeral" if ephemeral else "in_channel",
                              replace_original=False)
            elif ephemeral:
                await client.chat_postEphemeral(channel=cmd.channel, user=cmd.user, text=text)
            else:
                await client.chat_postMessage(channel=cmd.channel, text=text,
                                              unfurl_links=False, unfurl_media=False)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not answer in %s: %s", cmd.channel, delivery_error(exc))


async def permalink(client: AsyncWebClient, channel: str, parent: DeliveryRef) -> str:
    """A link to the thread of `parent` (chat.getPermalink; the channel when Slack can't
    say), for the answer to the same /hot asked again."""
    try:
        resp = await read(lambda: client.chat_getPermalink(channel=channel,
                                                           message_ts=parent.message_id),
                          "chat.getPermalink")
        return str(resp["permalink"])
    except (SlackApiError, aiohttp.ClientError, TimeoutError, KeyError):
        return f"https://slack.com/app_redirect?channel={channel}"
