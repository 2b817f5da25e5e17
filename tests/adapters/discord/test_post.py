"""Posting digests with the real discord.py against the local fake Discord: layout,
limits, 429s, error mapping, reading back by ids (no key in any message), and the core's
delivery loop with nonce de-duplication OFF: a 500 after storing never duplicates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.post import DiscordChatAdapter, open_chat_adapter
from bot.chat import Wanted
from bot.errors import (
    ConfigurationError,
    InDoubtDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.models import PARENT, DeliveryRef, Digest, Subscription
from bot.publish import Mode, PublishReport, publish
from bot.render.discord import parent_embed
from bot.settings import Settings
from bot.store import Store
from tests.fakes.discord_api import (
    FORUM_CHANNEL_ID,
    GUILD_ID,
    TEXT_CHANNEL_ID,
    TOKEN,
    FakeDiscord,
    running_fake_discord,
    sample_digest,
)


def settings_for(fake: FakeDiscord, token: str = TOKEN) -> Settings:
    return Settings(discord_token=token, discord_api_url=fake.base_url,
                    discord_gateway_url=fake.gateway_url)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake_discord() as f:
        yield f


@pytest.fixture
async def adapter(fake: FakeDiscord) -> AsyncIterator[DiscordChatAdapter]:
    a = await open_chat_adapter(settings_for(fake))
    yield a
    await a.close()


def wanted(key: str, part: str = PARENT, known: frozenset[str] = frozenset(),
           replies: int = 0) -> Wanted:
    return Wanted(key=key, part=part, since=dt.datetime.now(dt.UTC), known=known,
                  replies=replies)


async def publish_now(store: Store, adapter: DiscordChatAdapter, digest: Digest, channel: int,
                      **kw: Any) -> PublishReport:
    async def no_sleep(_: float) -> None:
        return None

    return await publish(store, {"discord": adapter}, digest,
                         [Subscription("discord", str(channel))], sleep=no_sleep,
                         mode=Mode.POST, **kw)


async def post(adapter: DiscordChatAdapter, channel: int, n: int = 11) -> DeliveryRef:
    digest = sample_digest(n)
    parent = await adapter.send_parent(str(channel), digest, key="k-p0")
    for p in digest.papers:
        await adapter.send_paper(str(channel), parent, digest, p, key=f"k-p{p.rank}")
    return parent


async def test_text_channel_gets_parent_public_thread_and_papers_in_rank_order(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    parent = await post(adapter, TEXT_CHANNEL_ID)
    channel_msgs = fake.messages[TEXT_CHANNEL_ID]
    assert [m["id"] for m in channel_msgs] == [parent.message_id]
    assert channel_msgs[0]["embeds"][0]["title"] == "Hot Papers 2021-08-06"
    assert "11 papers" in channel_msgs[0]["embeds"][0]["description"]
    thread = fake.channels[int(parent.thread_id or 0)]
    assert thread["type"] == 11  # PUBLIC thread, started from the parent message
    assert thread["id"] == parent.message_id and thread["parent_id"] == str(TEXT_CHANNEL_ID)
    assert len(thread["name"]) <= 100
    replies = fake.thread_messages(thread["id"])
    titles = [m["embeds"][0]["title"] for m in replies]
    assert titles == [f"{i}. Paper number {i}: attention is all we count" for i in range(1, 12)]
    first = replies[0]["embeds"][0]
    assert first["url"] == "https://arxiv.org/abs/2108.00001"
    assert "https://arxiv.org/list/cs.LG/recent" in first["description"]
    assert "[pdf](https://arxiv.org/pdf/2108.00001)" in first["description"]
    assert "https://twitter.com/u1/status/1" in first["description"]
    # Every send carried the nonce with enforce_nonce; no message shows it.
    sends = fake.sent("POST", r"/messages$")
    assert all(c.body["nonce"].startswith("k-p") and c.body["enforce_nonce"] for c in sends)
    assert "k-p" not in json.dumps([fake._public(m) for m in channel_msgs + replies])
    assert parent.permalink == (f"https://discord.com/channels/{GUILD_ID}/{TEXT_CHANNEL_ID}/"
                                f"{parent.message_id}")


async def test_forum_channel_gets_a_forum_post_with_the_papers_inside(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    parent = await post(adapter, FORUM_CHANNEL_ID, n=3)
    assert parent.thread_id == parent.message_id
    thread = fake.channels[int(parent.thread_id or 0)]
    assert thread["parent_id"] == str(FORUM_CHANNEL_ID) and thread["name"].startswith("Hot Papers")
    msgs = fake.thread_messages(thread["id"])
    assert msgs[0]["embeds"][0]["title"] == "Hot Papers 2021-08-06"
    assert [m["embeds"][0]["title"][:2] for m in msgs[1:]] == ["1.", "2.", "3."]


async def test_empty_digest_posts_one_message_and_no_thread(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    ref = await adapter.send_parent(str(TEXT_CHANNEL_ID), sample_digest(0), key="empty")
    assert ref.thread_id is None
    assert len(fake.messages[TEXT_CHANNEL_ID]) == 1
    assert "No hot papers" in fake.messages[TEXT_CHANNEL_ID][0]["embeds"][0]["description"]
    assert not fake.sent("POST", r"/threads$")


async def test_429s_cost_neither_messages_nor_duplicates(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    fake.force_429("POST", r"/channels/\d+/messages$", count=3)
    fake.force_429("POST", r"/channels/\d+/messages$", count=1, is_global=True)
    fake.force_429("POST", r"/threads$", count=1)
    parent = await post(adapter, TEXT_CHANNEL_ID, n=11)
    limited = fake.sent("POST", r"/messages$", status=429)
    assert len(limited) >= 4  # the 429s were really served ...
    replies = fake.thread_messages(parent.thread_id or "0")
    assert len(replies) == 11  # ... and absorbed: no message lost, none doubled
    assert len({m["embeds"][0]["title"] for m in replies}) == 11


async def test_natural_route_limit_is_respected_without_loss(fake: FakeDiscord) -> None:
    fake.route_limit, fake.route_window = 2, 0.2
    a = await open_chat_adapter(settings_for(fake))
    try:
        parent = await post(a, TEXT_CHANNEL_ID, n=6)
    finally:
        await a.close()
    assert len(fake.thread_messages(parent.thread_id or "0")) == 6


async def test_a_resent_key_returns_the_first_message(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    digest = sample_digest(2)
    parent = await adapter.send_parent(str(TEXT_CHANNEL_ID), digest, key="again-p0")
    first = await adapter.send_paper(str(TEXT_CHANNEL_ID), parent, digest, digest.papers[0],
                                     key="again-p1")
    second = await adapter.send_paper(str(TEXT_CHANNEL_ID), parent, digest, digest.papers[0],
                                      key="again-p1")
    assert first.message_id == second.message_id
    assert len(fake.thread_messages(parent.thread_id or "0")) == 1


async def test_find_message_reads_ids_back_not_nonces_or_text(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    parent = await post(adapter, TEXT_CHANNEL_ID, n=4)
    history = fake.messages[int(parent.thread_id or 0)]
    assert all("nonce" not in fake._public(m) for m in history)  # like Discord
    found_parent = await adapter.find_message(str(TEXT_CHANNEL_ID), wanted("k-p0", replies=4),
                                              None)
    assert found_parent == parent
    digest = sample_digest(4)
    third = digest.papers[2].paper.arxiv_id
    found = await adapter.find_message(str(TEXT_CHANNEL_ID), wanted("k-p3", third), parent)
    assert found is not None and found.message_id == history[2]["id"]
    assert await adapter.find_message(str(TEXT_CHANNEL_ID), wanted("k-p9", "2108.99999"),
                                      parent) is None
    # a message the ledger already has is never taken for another one
    recorded = frozenset({parent.message_id})
    assert await adapter.find_message(str(TEXT_CHANNEL_ID), wanted("x", known=recorded),
                                      None) is None
    # a person's messages and the bot's interaction answers are not candidates
    fake.user_message(TEXT_CHANNEL_ID, "nice papers")
    assert await adapter.find_message(str(TEXT_CHANNEL_ID), wanted("x", known=recorded),
                                      None) is None


async def test_two_unrecorded_parents_are_not_guessed(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    await adapter.send_parent(str(TEXT_CHANNEL_ID), sample_digest(0), key="a")
    await adapter.send_parent(str(TEXT_CHANNEL_ID), sample_digest(0), key="b")
    with pytest.raises(TransientDeliveryError, match="could be parent"):
        await adapter.find_message(str(TEXT_CHANNEL_ID), wanted("a"), None)


async def test_a_paper_past_the_first_history_page_is_found(fake: FakeDiscord) -> None:
    """30 papers with 120 messages of people in between: the paper on the second page
    of the thread's history (Discord pages 100 at a time) is still found."""
    a = await open_chat_adapter(settings_for(fake))
    try:
        digest = sample_digest(30)
        parent = await a.send_parent(str(TEXT_CHANNEL_ID), digest, key="p0")
        for p in digest.papers:
            if p.rank == 2:
                for i in range(120):
                    fake.user_message(int(parent.thread_id or 0), f"chatter {i}")
            await a.send_paper(str(TEXT_CHANNEL_ID), parent, digest, p, key=f"p{p.rank}")
        last = digest.papers[-1].paper.arxiv_id
        found = await a.find_message(str(TEXT_CHANNEL_ID), wanted("p30", last), parent)
    finally:
        await a.close()
    assert found is not None
    assert found.message_id == fake.thread_messages(parent.thread_id or "0")[-1]["id"]
    pages = [c for c in fake.sent("GET", r"/messages$") if "after" in c.query]
    assert len(pages) == 2


async def test_find_message_finishes_a_missing_thread(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    digest = sample_digest(2)
    # A crash between the parent and its thread: only the parent exists.
    msg = await adapter.client.get_partial_messageable(TEXT_CHANNEL_ID).send(
        embeds=[discord.Embed.from_dict(parent_embed(digest))], nonce="crash")
    ref = await adapter.find_message(str(TEXT_CHANNEL_ID), wanted("crash", replies=2), None)
    assert ref is not None and (ref.message_id, ref.thread_id) == (str(msg.id), str(msg.id))
    assert fake.channels[msg.id]["type"] == 11


async def test_find_message_in_a_forum(fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    parent = await post(adapter, FORUM_CHANNEL_ID, n=1)
    found = await adapter.find_message(str(FORUM_CHANNEL_ID), wanted("k-p0"), None)
    assert found == parent
    assert await adapter.find_message(str(FORUM_CHANNEL_ID), wanted(
        "other", known=frozenset({parent.message_id})), None) is None


@pytest.mark.parametrize("drop", [False, True], ids=["500-after-storing", "dropped"])
async def test_the_core_loop_settles_stored_sends_without_nonce_dedup(
        tmp_path: Path, drop: bool) -> None:
    """Discord stores the parent and a paper, then answers 500 (or drops the
    connection), and it does NOT de-duplicate nonces: no duplicate, nothing lost."""
    async with running_fake_discord(honour_nonce=False) as fake:
        store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
        a = await open_chat_adapter(settings_for(fake))
        try:
            fake.fail("POST", rf"^/channels/{TEXT_CHANNEL_ID}/messages$", 500, after=True,
                      drop=drop)
            digest = sample_digest(4)

            def paper_2_fails(channel: int, msg: dict[str, Any]) -> None:
                if msg["embeds"] and msg["embeds"][0]["title"].startswith("2."):
                    fake.fail("POST", rf"^/channels/{channel}/messages$", 502, after=True,
                              drop=drop)

            fake.on_message = paper_2_fails
            (c,) = (await publish_now(store, a, digest, TEXT_CHANNEL_ID)).channels
            assert c.status == "done" and c.settled == 2, c
        finally:
            await a.close()
            await store.close()
        (parent,) = fake.messages[TEXT_CHANNEL_ID]
        titles = [m["embeds"][0]["title"][:2] for m in fake.thread_messages(parent["id"])]
        assert titles == ["1.", "2.", "3.", "4."]  # once each, in order
        posts = fake.sent("POST", r"/messages$", status=None)
        assert len(posts) == 5  # nothing was sent twice (discord.py's 5xx retry is off)


async def test_discord_py_alone_would_resend_after_a_500(fake: FakeDiscord) -> None:
    """Why the guard exists: discord.py's own HTTPClient retries a 500 with the same body,
    so a server that stored the first copy and doesn't honour nonces gets two."""
    fake.honour_nonce = False
    plain = discord.Client(intents=discord.Intents.none())
    await plain.login(TOKEN)
    try:
        fake.fail("POST", rf"^/channels/{TEXT_CHANNEL_ID}/messages$", 500, after=True)
        await plain.get_partial_messageable(TEXT_CHANNEL_ID).send("hello", nonce="n1")
    finally:
        await plain.close()
    assert len(fake.messages[TEXT_CHANNEL_ID]) == 2
    guarded = await open_chat_adapter(settings_for(fake))
    try:
        fake.fail("POST", rf"^/channels/{TEXT_CHANNEL_ID}/messages$", 500, after=True)
        with pytest.raises(InDoubtDeliveryError, match="500"):
            await guarded.send_parent(str(TEXT_CHANNEL_ID), sample_digest(0), key="n2")
    finally:
        await guarded.close()
    assert len(fake.messages[TEXT_CHANNEL_ID]) == 3  # one more, not two


async def test_missing_access_and_unknown_channel_are_permanent(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    with pytest.raises(PermanentDeliveryError, match="10003"):
        await adapter.send_parent("999", sample_digest(1), key="x")
    fake.fail("POST", r"/channels/123/messages$", 403, code=50001, message="Missing Access")
    with pytest.raises(PermanentDeliveryError, match="Missing Access"):
        await adapter.send_parent(str(TEXT_CHANNEL_ID), sample_digest(1), key="y")
    with pytest.raises(PermanentDeliveryError, match="not a Discord channel id"):
        await adapter.send_parent("general", sample_digest(1), key="z")


async def test_server_errors_are_in_doubt(fake: FakeDiscord, adapter: DiscordChatAdapter
                                          ) -> None:
    fake.fail("POST", r"/channels/123/messages$", 503)
    with pytest.raises(InDoubtDeliveryError, match="503"):
        await adapter.send_parent(str(TEXT_CHANNEL_ID), sample_digest(1), key="t")
    assert fake.messages[TEXT_CHANNEL_ID] == []
    assert len(fake.sent("POST", r"/channels/123/messages$", status=None)) == 1


async def test_bad_token_is_one_line_configuration_error_without_the_token(
        fake: FakeDiscord) -> None:
    with pytest.raises(ConfigurationError) as info:
        await open_chat_adapter(settings_for(fake, token="wrong-token-secret"))
    message = str(info.value)
    assert "DISCORD_TOKEN was rejected" in message and "\n" not in message
    assert "wrong-token-secret" not in message
    with pytest.raises(ConfigurationError, match="DISCORD_TOKEN is not set"):
        await open_chat_adapter(Settings(discord_api_url=fake.base_url))


async def test_long_texts_stay_within_discord_limits(
        fake: FakeDiscord, adapter: DiscordChatAdapter) -> None:
    digest = sample_digest(1, abstract_len=9000)
    p = digest.papers[0]
    huge = dataclasses.replace(p, paper=dataclasses.replace(
        p.paper, title="T" * 400, authors=tuple(f"Author {i}" for i in range(500))))
    digest = digest.with_papers((huge,))
    parent = await adapter.send_parent(str(TEXT_CHANNEL_ID), digest, key="big-p0")
    await adapter.send_paper(str(TEXT_CHANNEL_ID), parent, digest, digest.papers[0], key="big-p1")
    sent = fake.thread_messages(parent.thread_id or "0")[0]["embeds"][0]
    assert len(json.dumps(sent)) > 3000 and len(sent["title"]) <= 256


async def test_a_30_paper_thread_past_the_first_page_is_settled_not_resent(
        tmp_path: Path) -> None:
    """People talk in the thread (120 messages after paper 2); Discord stores paper 30
    and answers 500 (no nonce de-duplication): the loop finds it on the second history
    page and records it; nothing is sent twice."""
    async with running_fake_discord(honour_nonce=False) as fake:
        store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'd30.db'}")
        a = await open_chat_adapter(settings_for(fake))
        digest = sample_digest(30, abstract_len=100)

        def chatter_and_a_lost_answer(channel: int, msg: dict[str, Any]) -> None:
            title = msg["embeds"][0]["title"] if msg["embeds"] else ""
            if title.startswith("2. "):
                for i in range(120):
                    fake.user_message(channel, f"chatter {i}")
            if title.startswith("30. "):
                fake.fail("POST", rf"^/channels/{channel}/messages$", 500, after=True)

        fake.on_message = chatter_and_a_lost_answer
        try:
            (c,) = (await publish_now(store, a, digest, TEXT_CHANNEL_ID)).channels
        finally:
            await a.close()
            await store.close()
        assert c.status == "done" and c.settled == 1 and c.sent == 30, c
        (parent,) = fake.messages[TEXT_CHANNEL_ID]
        ours = [m for m in fake.thread_messages(parent["id"]) if m["embeds"]]
        assert [m["embeds"][0]["title"].split(".")[0] for m in ours] == [
            str(i) for i in range(1, 31)]
        assert len(fake.sent("POST", r"/messages$", status=None)) == 31  # none resent
        assert len([c for c in fake.sent("GET", r"/messages$") if "after" in c.query]) == 2
