"""Webhook mode: the real discord.py webhook client against the local fake Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.discord.webhook import DiscordWebhookAdapter, open_chat_adapter
from bot.errors import PermanentDeliveryError
from bot.models import DeliveryRef, Subscription
from bot.publish import publish
from bot.settings import Settings
from bot.store import Store
from tests.fakes.discord_api import (
    FORUM_CHANNEL_ID,
    TEXT_CHANNEL_ID,
    FakeDiscord,
    running_fake_discord,
    sample_digest,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake_discord() as f:
        yield f


async def open_for(fake: FakeDiscord, url: str | None,
                   webhooks: dict[str, str] | None = None) -> DiscordWebhookAdapter:
    return await open_chat_adapter(Settings(discord_webhook_url=url,
                                            discord_webhooks=webhooks or {},  # type: ignore[arg-type]
                                            discord_api_url=fake.base_url))


async def post(adapter: DiscordWebhookAdapter, channel: str, n: int) -> DeliveryRef:
    digest = sample_digest(n)
    parent = await adapter.send_parent(channel, digest, key="w-p0")
    for p in digest.papers:
        await adapter.send_paper(channel, parent, digest, p, key=f"w-p{p.rank}")
    return parent


async def test_text_channel_webhook_posts_parent_then_papers_in_order(fake: FakeDiscord) -> None:
    adapter = await open_for(fake, fake.webhook_url(TEXT_CHANNEL_ID))
    try:
        fake.force_429("POST", r"^/webhooks/", count=2)
        parent = await post(adapter, "default", 5)
    finally:
        await adapter.close()
    assert parent.thread_id is None
    msgs = fake.messages[TEXT_CHANNEL_ID]
    titles = [m["embeds"][0]["title"][:2] for m in msgs]
    assert titles == ["Ho", "1.", "2.", "3.", "4.", "5."]  # parent, then rank order, no dupes
    assert msgs[0]["id"] == parent.message_id
    assert len(fake.sent("POST", r"^/webhooks/", status=429)) == 2
    assert all(c.query.get("wait") in ("1", "true") for c in fake.sent("POST", r"^/webhooks/"))


async def test_forum_webhook_creates_a_post_with_thread_name_and_papers_inside(
        fake: FakeDiscord) -> None:
    url = fake.webhook_url(FORUM_CHANNEL_ID)
    adapter = await open_for(fake, None, {"forum": url})
    try:
        parent = await post(adapter, "forum", 3)  # a webhook by name
        again = await post(adapter, "forum", 1)  # learned: straight to thread_name next time
    finally:
        await adapter.close()
    assert parent.thread_id is not None
    thread = fake.channels[int(parent.thread_id)]
    assert thread["parent_id"] == str(FORUM_CHANNEL_ID)
    assert thread["name"] == "Hot Papers 2021-08-06"
    msgs = fake.thread_messages(parent.thread_id)
    assert [m["embeds"][0]["title"][:2] for m in msgs] == ["Ho", "1.", "2.", "3."]
    papers = [c for c in fake.sent("POST", r"^/webhooks/") if "thread_id" in c.query]
    assert {c.query["thread_id"] for c in papers} == {parent.thread_id, again.thread_id}
    assert len(fake.sent("POST", r"^/webhooks/", status=400)) == 1  # only the first probe
    assert fake.messages[FORUM_CHANNEL_ID] == []


async def test_bad_webhook_urls_get_one_line_answers(fake: FakeDiscord) -> None:
    with pytest.raises(ValidationError, match="not a webhook URL"):
        await open_for(fake, "https://example.com/hook")
    gone = "https://discord.com/api/webhooks/42/" + "t" * 68
    adapter = await open_for(fake, None, {"gone": gone})
    try:
        with pytest.raises(PermanentDeliveryError, match="DISCORD_WEBHOOK_URL is not set"):
            await adapter.send_parent("default", sample_digest(1), key="a")
        with pytest.raises(PermanentDeliveryError, match="Unknown Webhook"):
            await adapter.send_parent("gone", sample_digest(1), key="b")
        with pytest.raises(PermanentDeliveryError, match="Unknown Webhook"):
            await adapter.send_parent("42", sample_digest(1), key="b")  # by its id
        assert await adapter.find_message("gone", "b", None) is None
        with pytest.raises(PermanentDeliveryError, match="webhook:lab is not configured"):
            await adapter.send_parent("lab", sample_digest(1), key="c")
        with pytest.raises(PermanentDeliveryError, match="a name, not a URL") as caught:
            await adapter.send_parent(gone, sample_digest(1), key="d")  # a URL: never used
        assert "t" * 68 not in str(caught.value)
    finally:
        await adapter.close()


async def test_a_send_in_doubt_is_marked_and_reported_never_resent(
        fake: FakeDiscord, tmp_path: Path) -> None:
    """The webhook stores paper 2, then answers 500 (nonce de-duplication off): a webhook
    can't read the channel back, so the paper is marked in doubt and reported; the next
    run reports it again and sends nothing; --resend-in-doubt sends it once more."""
    fake.honour_nonce = False
    adapter = await open_for(fake, fake.webhook_url(TEXT_CHANNEL_ID))
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    subs = [Subscription("webhook", "default")]
    digest = sample_digest(3)
    try:
        def fail_on_paper_2(channel: int, msg: dict[str, object]) -> None:
            if str(msg["embeds"][0]["title"]).startswith("2."):  # type: ignore[index]
                fake.fail("POST", r"^/webhooks/", 500, after=True)

        fake.on_message = fail_on_paper_2
        first = await publish(store, {"webhook": adapter}, digest, subs, backoff=0)
        fake.on_message = None
        (c,) = first.channels
        assert c.status == "in-doubt" and "paper 2" in c.detail
        assert "--resend-in-doubt" in c.detail and "can't be read back" in c.detail
        titles = [m["embeds"][0]["title"][:2] for m in fake.messages[TEXT_CHANNEL_ID]]
        assert titles == ["Ho", "1.", "2."]  # stored once: discord.py did not resend it
        again = await publish(store, {"webhook": adapter}, digest, subs, backoff=0)
        assert again.channels[0].status == "in-doubt" and len(fake.messages[TEXT_CHANNEL_ID]) == 3
        rows = {r.part: r.status for r in await store.deliveries("2021-08-06")}
        assert rows[digest.papers[1].paper.arxiv_id] == "in_doubt"
        resent = await publish(store, {"webhook": adapter}, digest, subs, backoff=0,
                               resend_in_doubt=True)
        assert resent.channels[0].status == "done"
        titles = [m["embeds"][0]["title"][:2] for m in fake.messages[TEXT_CHANNEL_ID]]
        assert titles == ["Ho", "1.", "2.", "2.", "3."]  # the operator chose the resend
    finally:
        await adapter.close()
        await store.close()
