"""Discord webhook mode (no bot account): `DISCORD_WEBHOOK_URL` posts the daily digest.

Channels are webhook NAMES, never URLs (a URL carries the webhook's token, a secret):
"default" means `DISCORD_WEBHOOK_URL`, other names come from `HOTPAPERS_DISCORD_WEBHOOKS`
(`{"lab": "https://discord.com/api/webhooks/ID/TOKEN"}`), and a webhook's id names the
configured webhook with that id (a URL typed on the command line is posted by its id).
A text-channel webhook posts the parent and then the papers in rank order (webhooks can't
start threads there). A forum-channel webhook makes a post: the parent goes with
`thread_name` (creating the post), the papers with `thread_id`. Which kind a webhook is
is learned from Discord itself: a forum answers a plain send with error 220001, and the
adapter then sends with `thread_name`.

Sends use `?wait=true` to get message ids. The id and token are taken from the URL; the
requests go to `DISCORD_API_URL` (Discord itself unless a proxy or a fake is set).

Webhooks can't read channel history (`reads_back = False`): a send whose answer was lost
(a 5xx, a dropped connection, a crash) can't be settled. discord.py would resend it on a
5xx; `no_blind_resend` on the session stops that, the send is `InDoubtDeliveryError`,
and the core's delivery loop marks it "in_doubt" and reports it instead of resending
(`hotpapers post --resend-in-doubt` sends it again when the operator says so).
"""

from __future__ import annotations

import aiohttp
import discord

from adapters.discord.client import (
    count_rate_limits,
    delivery_errors,
    no_blind_resend,
    point_discord_at,
)
from bot.chat import Wanted
from bot.errors import ConfigurationError, PermanentDeliveryError
from bot.models import DeliveryRef, Digest, RankedPaper
from bot.redact import parse_webhook_url as webhook_parts
from bot.render.discord import paper_embed, parent_embed, thread_name
from bot.settings import Settings

FORUM_NEEDS_THREAD = 220001  # "Webhooks posted to forum channels must have a thread_name"
USERNAME = "Hot Papers"


def parse_webhook_url(url: str) -> tuple[int, str]:
    """(id, token) of a webhook URL; ValueError with a one-line hint otherwise."""
    parsed = webhook_parts(url.split("?")[0])
    if parsed is None:
        raise ValueError("that is not a Discord webhook URL; copy it from Channel settings -> "
                         "Integrations -> Webhooks (https://discord.com/api/webhooks/ID/TOKEN)")
    return int(parsed[0]), parsed[1]


def webhook_url(settings: Settings, channel: str) -> str:
    """The URL of the webhook a channel names (`default`, a configured name, or the id of
    a configured webhook); PermanentDeliveryError (one line, no secret) otherwise."""
    secret = settings.webhook_url(channel)
    if secret is None and channel.isdigit():
        configured = (settings.discord_webhook_url, *settings.discord_webhooks.values())
        secret = next((u for u in configured if u is not None
                       and (webhook_parts(u.get_secret_value()) or ("",))[0] == channel), None)
    if secret is not None:
        return secret.get_secret_value()
    if channel == "default":
        raise PermanentDeliveryError(
            "DISCORD_WEBHOOK_URL is not set; set it, or name webhooks in "
            "HOTPAPERS_DISCORD_WEBHOOKS and post to webhook:<name>")
    if webhook_parts(channel) is not None or "/" in channel:
        raise PermanentDeliveryError(
            "a webhook channel is a name, not a URL; add the URL to HOTPAPERS_DISCORD_WEBHOOKS "
            'as {"name": "<the URL>"} and use webhook:name')
    raise PermanentDeliveryError(
        f"webhook:{channel} is not configured; add it to HOTPAPERS_DISCORD_WEBHOOKS "
        '(for example {"' + channel + '": "https://discord.com/api/webhooks/ID/TOKEN"})')


class DiscordWebhookAdapter:
    """`ChatAdapter` posting through Discord webhooks."""

    platform = "webhook"
    reads_back = False

    def __init__(self, settings: Settings, session: aiohttp.ClientSession,
                 *, owns_session: bool = True) -> None:
        self.settings = settings
        self.session = session
        self.owns_session = owns_session
        self._forums: set[int] = set()

    def _webhook(self, channel: str) -> discord.Webhook:
        url = webhook_url(self.settings, channel)
        try:
            wid, token = parse_webhook_url(url)
        except ValueError as exc:
            raise PermanentDeliveryError(str(exc)) from None
        return discord.Webhook.partial(wid, token, session=self.session)

    async def send_parent(self, channel: str, digest: Digest, *, key: str,
                          notes: tuple[str, ...] = ()) -> DeliveryRef:
        hook = self._webhook(channel)
        embed = discord.Embed.from_dict(parent_embed(digest, notes=notes))
        name = thread_name(digest)
        async with delivery_errors("webhook parent message", sending=True):
            if hook.id not in self._forums:
                try:
                    msg = await hook.send(embeds=[embed], wait=True, username=USERNAME)
                    return DeliveryRef(message_id=str(msg.id))
                except discord.HTTPException as exc:
                    if exc.code != FORUM_NEEDS_THREAD:
                        raise
                    self._forums.add(hook.id)
            msg = await hook.send(embeds=[embed], wait=True, username=USERNAME,
                                  thread_name=name)
        return DeliveryRef(message_id=str(msg.id), thread_id=str(msg.channel.id))

    async def send_paper(self, channel: str, parent: DeliveryRef, digest: Digest,
                         paper: RankedPaper, *, key: str) -> DeliveryRef:
        hook = self._webhook(channel)
        embed = discord.Embed.from_dict(paper_embed(digest, paper))
        async with delivery_errors(f"webhook paper {paper.rank}", sending=True):
            if parent.thread_id:
                msg = await hook.send(embeds=[embed], wait=True, username=USERNAME,
                                      thread=discord.Object(int(parent.thread_id)))
            else:
                msg = await hook.send(embeds=[embed], wait=True, username=USERNAME)
        return DeliveryRef(message_id=str(msg.id), thread_id=parent.thread_id)

    async def find_message(self, channel: str, wanted: Wanted,
                           parent: DeliveryRef | None) -> DeliveryRef | None:
        return None  # webhooks can't list messages (the core doesn't ask: reads_back)

    async def close(self) -> None:
        if self.owns_session:
            await self.session.close()


async def open_chat_adapter(settings: Settings) -> DiscordWebhookAdapter:
    """The webhook adapter; checks that DISCORD_WEBHOOK_URL, when set, looks right."""
    if settings.discord_webhook_url is not None:
        try:
            parse_webhook_url(settings.discord_webhook_url.get_secret_value())
        except ValueError as exc:
            raise ConfigurationError(f"DISCORD_WEBHOOK_URL: {exc}") from None
    point_discord_at(settings)
    return DiscordWebhookAdapter(settings, aiohttp.ClientSession(
        middlewares=(count_rate_limits, no_blind_resend)))
