"""Discord HTTP interactions: slash commands answered by `hotpapers serve` at
`/discord/interactions`, without a gateway connection (the application's "Interactions
Endpoint URL").

Every request's Ed25519 signature (`X-Signature-Ed25519` over `X-Signature-Timestamp` +
the raw body, with DISCORD_PUBLIC_KEY) is checked with PyNaCl BEFORE the body is parsed:
a missing or bad one is a 401. PING (type 1) is answered with PONG (type 1).
APPLICATION_COMMAND (type 2) becomes the neutral `Command` (options in order, like the
gateway adapter; Manage Channels from the member's permission bits) answered by
`core.answer`; the reply is a channel message (type 4): the text, and for a digest its
parent embed and as many paper embeds as one message holds (10 embeds, 6,000 characters;
posting a whole thread needs the bot token and the gateway adapter). An answer not ready
within DEFER_AFTER seconds is deferred (type 5) and sent later by editing the original
response through the interaction's webhook (DISCORD_APPLICATION_ID, 15 minutes)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from adapters.discord.permissions import DENIED, may_manage
from bot.chat import WebRoutes
from bot.errors import ConfigurationError
from bot.models import Answer, Command
from bot.render.discord import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    embed_size,
    paper_embed,
    parent_embed,
    shorten_lines,
)
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger("hotpapers.discord.interactions")

PATH = "/discord/interactions"
PING, APPLICATION_COMMAND = 1, 2
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE = 1, 4, 5
EPHEMERAL = 1 << 6
MAX_EMBEDS = 10
DEFER_AFTER = 2.0  # Discord wants the first response within 3 s


def verify_key(settings: Settings) -> VerifyKey:
    raw = (settings.discord_public_key or "").strip()
    try:
        return VerifyKey(bytes.fromhex(raw))
    except ValueError:
        raise ConfigurationError(
            "DISCORD_PUBLIC_KEY is not a 64-character hex key; copy the Public Key from your "
            "application's General Information page") from None


def signed(key: VerifyKey, headers: Any, body: bytes) -> bool:
    signature = headers.get("X-Signature-Ed25519", "")
    timestamp = headers.get("X-Signature-Timestamp", "")
    if not signature or not timestamp:
        return False
    try:
        key.verify(timestamp.encode() + body, bytes.fromhex(signature))
    except (BadSignatureError, ValueError):
        return False
    return True


def to_command(payload: dict[str, Any]) -> Command:
    data = payload.get("data") or {}
    words = [str(o.get("value", "")) for o in data.get("options") or []
             if o.get("value") not in (None, "")]
    if data.get("name") != "hot":  # /subscribe cs.LG stat.ML: one string of words
        words = " ".join(words).split()
    member = payload.get("member") or {}
    user = (member.get("user") or payload.get("user") or {}).get("id", "")
    permissions = int(member.get("permissions") or 0) if member else 0
    return Command(
        name=str(data.get("name", "")), args=tuple(words), platform="discord",
        channel=str(payload.get("channel_id", "")), workspace=str(payload.get("guild_id") or ""),
        user=str(user), can_manage_channel=may_manage(permissions), denied=DENIED,
    )


def message(answer: Answer) -> dict[str, Any]:
    """The reply's message object: text, and a digest's embeds within Discord's limits."""
    out: dict[str, Any] = {"content": shorten_lines(answer.text, CONTENT_LIMIT),
                           "allowed_mentions": {"parse": []}}
    if answer.ephemeral or answer.is_error:
        out["flags"] = EPHEMERAL
    if answer.digest is not None:
        embeds = [parent_embed(answer.digest, notes=answer.notes)]
        total = embed_size(embeds[0])
        for paper in answer.digest.papers:
            embed = paper_embed(answer.digest, paper)
            if len(embeds) == MAX_EMBEDS or total + embed_size(embed) > EMBED_TOTAL_LIMIT:
                break
            embeds.append(embed)
            total += embed_size(embed)
        out["embeds"] = embeds
    return out


class Interactions:
    def __init__(self, core: Core, settings: Settings) -> None:
        self.core, self.settings = core, settings
        self.key = verify_key(settings)
        self.http: aiohttp.ClientSession | None = None
        self.pending: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signed(self.key, request.headers, body):
            return web.json_response({"error": "invalid request signature"}, status=401)
        try:
            payload = json.loads(body)
            kind = payload["type"]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "not an interaction"}, status=400)
        if kind == PING:
            return web.json_response({"type": PONG})
        if kind != APPLICATION_COMMAND:
            return web.json_response({"error": f"interaction type {kind} is not handled"},
                                     status=400)
        task = asyncio.ensure_future(self.core.answer_or_apologise(to_command(payload)))
        try:
            answer = await asyncio.wait_for(asyncio.shield(task), DEFER_AFTER)
        except TimeoutError:
            follow = asyncio.ensure_future(self._follow_up(payload, task))
            self.pending.add(follow)
            follow.add_done_callback(self.pending.discard)
            return web.json_response({"type": DEFERRED_CHANNEL_MESSAGE})
        return web.json_response({"type": CHANNEL_MESSAGE, "data": message(answer)})

    async def _follow_up(self, payload: dict[str, Any], task: asyncio.Future[Answer]) -> None:
        answer = await task
        app_id = self.settings.discord_application_id or str(payload.get("application_id", ""))
        url = (f"{self.settings.discord_api_url.rstrip('/')}/webhooks/{app_id}/"
               f"{payload.get('token', '')}/messages/@original")
        if self.http is None:
            self.http = aiohttp.ClientSession()
        try:
            async with self.http.patch(url, json=message(answer)) as resp:
                if resp.status >= 400:
                    log.warning("editing a deferred answer failed: HTTP %d", resp.status)
        except aiohttp.ClientError as exc:
            log.warning("editing a deferred answer failed: %s", exc)

    async def close(self) -> None:
        for task in list(self.pending):
            await asyncio.wait([task], timeout=5)
        if self.http is not None:
            await self.http.close()


async def open_web_routes(core: Core, settings: Settings, *, check_token_first: bool = True
                          ) -> WebRoutes | None:
    """`/discord/interactions` when DISCORD_PUBLIC_KEY is set (None otherwise)."""
    if not settings.discord_public_key:
        return None
    handler = Interactions(core, settings)
    return WebRoutes(platform="discord", routes=[web.post(PATH, handler.handle)],
                     close=handler.close, paths=(PATH,))
