"""Payloads of the fake Discord (tests/fakes/discord_api.py): ids, channel, guild,
interaction and user objects in the shapes discord.py parses, Discord's message limits,
and a made-up digest to post."""

from __future__ import annotations

import datetime as dt
from typing import Any

TOKEN = "fake-bot-token-0123456789"
APP_ID = 900000000000000001
BOT_USER_ID = 900000000000000002
GUILD_ID = 800000000000000001
TEXT_CHANNEL_ID = 123
FORUM_CHANNEL_ID = 124
MANAGE_CHANNELS = 1 << 4

Json = dict[str, Any]


def guild_on_shard(shard: int, count: int, k: int = 0) -> int:
    """The `k`-th made-up guild id that Discord routes to shard `shard` of `count`
    (`(guild_id >> 22) % count == shard`)."""
    base = 10**12 - 10**12 % count
    return (base + k * count + shard) << 22 | 1


def channel_payload(cid: int, name: str, type_: int, parent: int | None = None,
                    guild: int = GUILD_ID) -> Json:
    """A guild channel: 0 text, 15 forum, 11 public thread, 12 private thread."""
    ch: Json = {
        "id": str(cid), "type": type_, "guild_id": str(guild), "name": name,
        "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id":
        str(parent) if parent else None, "rate_limit_per_user": 0, "flags": 0,
        "last_message_id": None, "topic": None,
    }
    if type_ == 15:
        ch.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None,
                  default_forum_layout=0, default_thread_rate_limit_per_user=0)
    if type_ in (11, 12):
        ch.update(owner_id=str(BOT_USER_ID), message_count=0, member_count=1,
                  total_message_sent=0, applied_tags=[],
                  thread_metadata={"archived": False, "auto_archive_duration": 1440,
                                   "archive_timestamp": now_iso(), "locked": False})
    return ch


def interaction_payload(iid: str, cmd_id: str, name: str, type_: int, options: list[Json],
                        channel: Json, permissions: int, user: int) -> Json:
    """INTERACTION_CREATE data: a slash command (type 2) or autocomplete (type 4), in
    the guild of `channel`."""
    guild = channel.get("guild_id") or str(GUILD_ID)
    return {
        "id": iid, "application_id": str(APP_ID), "type": type_, "token": f"itok{iid}",
        "version": 1, "guild_id": guild, "channel_id": channel["id"],
        "channel": channel,
        "data": {"id": cmd_id, "name": name, "type": 1, "options": options,
                 "guild_id": guild},
        "member": {"user": user_payload(user, "asker"), "roles": [], "joined_at": now_iso(),
                   "permissions": str(permissions), "deaf": False, "mute": False,
                   "flags": 0, "pending": False, "nick": None, "avatar": None},
        "app_permissions": str((1 << 41) - 1), "locale": "en-US", "guild_locale": "en-US",
        "entitlements": [], "authorizing_integration_owners": {"0": guild},
        "context": 0, "attachment_size_limit": 10 * 1024 * 1024,
    }


def guild_payload(channels: list[Json], guild: int = GUILD_ID, name: str = "Fake Lab") -> Json:
    return {
        "id": str(guild), "name": name, "icon": None, "owner_id": "1",
        "roles": [{"id": str(guild), "name": "@everyone", "permissions": "0",
                   "position": 0, "color": 0, "hoist": False, "managed": False,
                   "mentionable": False, "flags": 0}],
        "emojis": [], "stickers": [], "features": [], "member_count": 2, "members": [],
        "channels": channels,
        "threads": [], "voice_states": [], "presences": [], "large": False,
        "unavailable": False, "verification_level": 0, "default_message_notifications": 0,
        "explicit_content_filter": 0, "mfa_level": 0, "premium_tier": 0,
        "preferred_locale": "en-US", "nsfw_level": 0, "afk_timeout": 300,
        "system_channel_flags": 0, "joined_at": now_iso(),
    }


def check_message(body: Json) -> str:
    """Discord's message limits; "" when the body is valid."""
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    if len(content) > 2000:
        return "Invalid Form Body (content: Must be 2000 or fewer in length.)"
    if len(embeds) > 10:
        return "Invalid Form Body (embeds: Must be 10 or fewer in length.)"
    if not content and not embeds:
        return "Cannot send an empty message"
    total = 0
    for e in embeds:
        title, desc = e.get("title", ""), e.get("description", "")
        footer = (e.get("footer") or {}).get("text", "")
        if len(title) > 256 or len(desc) > 4096 or len(footer) > 2048:
            return "Invalid Form Body (embeds: field too long)"
        total += len(title) + len(desc) + len(footer)
        total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in e.get("fields", []))
    if total > 6000:
        return "Invalid Form Body (embeds: Embed size exceeds maximum size of 6000)"
    return ""


def user_payload(uid: int, name: str, bot: bool = False) -> Json:
    out: Json = {"id": str(uid), "username": name, "discriminator": "0", "avatar": None,
                 "global_name": name, "public_flags": 0}
    if bot:
        out["bot"] = True
    return out


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def sample_digest(n: int = 11, date: str = "2021-08-06", abstract_len: int = 1500) -> Any:
    """A digest of `n` made-up papers (ranked by score, one top post each)."""
    from bot.models import Digest, Mention, Paper, RankedPaper

    day = dt.date.fromisoformat(date)
    papers = []
    for i in range(1, n + 1):
        aid = f"2108.{i:05d}"
        paper = Paper(aid, f"Paper number {i}: attention is all we count", (
            f"Author {i}", "Second Author"), ("cs.LG", "cs.CV") if i % 2 else ("stat.ML",),
            ("word " * (abstract_len // 5)).strip())
        post = Mention("x", f"https://twitter.com/u{i}/status/{i}", (aid,), f"User {i}",
                       f"user{i}", text=f"Look at paper {i}", reposts=10 * i, likes=100 * i)
        score = 1000 - i
        papers.append(RankedPaper(i, paper, score, 10 * i, score - 10 * i, (post,)))
    return Digest(day, tuple(papers), dt.datetime(2021, 8, 7, 12, tzinfo=dt.UTC),
                  sources=("x",))
