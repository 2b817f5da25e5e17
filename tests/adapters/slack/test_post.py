"""SlackChatAdapter against the fake Slack Web API: thread structure, 429 retries,
pacing, error mapping, idempotency keys read back, token checks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from adapters.slack.client import make_client
from adapters.slack.post import SlackChatAdapter, open_chat_adapter
from bot.errors import ConfigurationError, PermanentDeliveryError, TransientDeliveryError
from bot.models import DeliveryRef
from bot.settings import Settings
from tests.adapters.slack.helpers import sample_digest
from tests.fakes.slack_api import BOT_TOKEN, fake_slack


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.slack.client.RETRY_BACKOFF", 0.01)


def settings_for(url: str, token: str | None = BOT_TOKEN) -> Settings:
    return Settings(slack_api_url=url, slack_bot_token=token)


async def post_all(adapter: SlackChatAdapter, channel: str, digest, prefix: str = "d") -> list:
    return await adapter.post_digest(channel, digest, key_prefix=prefix)


async def test_thread_structure_parent_then_papers_in_rank_order() -> None:
    digest = sample_digest(11)
    async with fake_slack() as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        refs = await post_all(adapter, "C123", digest)
        posts = slack.posts("C123")
        assert len(posts) == 12
        parent_ts = refs[0].message_id
        assert "thread_ts" not in posts[0].params or not posts[0].params["thread_ts"]
        assert "Hot Papers 2021-08-06" in posts[0].params["text"]
        for i, call in enumerate(posts[1:], start=1):
            assert call.params["thread_ts"] == parent_ts
            assert call.params["text"].startswith(f"{i}. Paper number {i} ")
        for call in posts:
            assert call.params["text"]
            assert call.params["unfurl_links"] is False
            assert call.params["unfurl_media"] is False
            assert call.params["metadata"]["event_type"] == "hotpapers_message"
        keys = [c.params["metadata"]["event_payload"]["key"] for c in posts]
        assert keys == [f"d:{i}" for i in range(12)]
        assert [r.thread_id for r in refs] == [parent_ts] * 12
        await adapter.close()


async def test_empty_digest_posts_one_message() -> None:
    async with fake_slack() as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        await post_all(adapter, "C1", sample_digest(0))
        posts = slack.posts()
        assert len(posts) == 1
        assert "no papers" in posts[0].params["text"]


async def test_429_is_retried_without_loss_or_duplicates() -> None:
    digest = sample_digest(3)
    async with fake_slack() as slack:
        slack.fail_next("chat.postMessage", "ratelimited", status=429, times=2, retry_after=0)
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        await post_all(adapter, "C9", digest)
        assert slack.count("chat.postMessage", 429) == 2
        assert len(slack.thread("C9")) == 4
        keys = [m["metadata"]["event_payload"]["key"] for m in slack.thread("C9")]
        assert keys == ["d:0", "d:1", "d:2", "d:3"]


async def test_fake_rate_limit_without_pacing_is_absorbed() -> None:
    """The fake enforces 20 msg/s per channel; an unpaced adapter gets 429s with an
    integer Retry-After and still lands every message exactly once, in order."""
    digest = sample_digest(4)
    async with fake_slack(rate_per_channel=20, retry_after=0) as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=100000)
        await post_all(adapter, "C7", digest)
        thread = slack.thread("C7")
        assert [m["metadata"]["event_payload"]["key"] for m in thread] == [
            f"d:{i}" for i in range(5)]
        assert slack.count("chat.postMessage", 429) >= 1


async def test_pacing_keeps_to_the_rate_without_429s() -> None:
    digest = sample_digest(4)
    async with fake_slack(rate_per_channel=10) as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=10)
        start = time.monotonic()
        await post_all(adapter, "C5", digest)
        assert slack.count("chat.postMessage", 429) == 0
        assert len(slack.thread("C5")) == 5
        assert time.monotonic() - start >= 0.35  # 5 messages at 10/s


async def test_rate_limit_retries_exhausted_is_transient() -> None:
    async with fake_slack() as slack:
        slack.fail_next("chat.postMessage", "ratelimited", status=429, times=10, retry_after=0)
        client = make_client(settings_for(slack.url), BOT_TOKEN, max_retries=1)
        adapter = SlackChatAdapter(client, per_channel_rate=1000)
        with pytest.raises(TransientDeliveryError, match="ratelimited"):
            await adapter.send_parent("C5", sample_digest(1), key="k")
        assert slack.count("chat.postMessage", 429) == 2  # the first try and one retry


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived",
                                   "missing_scope"])
async def test_permanent_errors(error: str) -> None:
    async with fake_slack() as slack:
        slack.fail_next("chat.postMessage", error)
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        with pytest.raises(PermanentDeliveryError, match=error):
            await post_all(adapter, "C5", sample_digest(1))


async def test_server_error_is_transient_and_not_blindly_retried() -> None:
    async with fake_slack() as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        slack.fail_next("chat.postMessage", "internal_error", status=500)
        with pytest.raises(TransientDeliveryError, match="internal_error"):
            await adapter.send_parent("C5", sample_digest(1), key="k0")
        assert slack.count("chat.postMessage") == 1  # a 500 may have posted: no blind retry


async def test_lost_reply_is_settled_by_key_without_duplicates() -> None:
    """Slack posts the message but the client sees a 500: the on-demand thread looks the
    key up before sending again, so every message lands exactly once."""
    async with fake_slack() as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        slack.fail_next("chat.postMessage", "internal_error", status=500, after=True)
        refs = await post_all(adapter, "C5", sample_digest(3))
        keys = [m["metadata"]["event_payload"]["key"] for m in slack.thread("C5")]
        assert keys == ["d:0", "d:1", "d:2", "d:3"]
        assert refs[0].message_id == slack.thread("C5")[0]["ts"]
        slack.fail_next("chat.postMessage", "internal_error", status=503, times=1)
        await post_all(adapter, "C6", sample_digest(1))  # not posted: sent again once
        assert len(slack.thread("C6")) == 2
        slack.fail_next("chat.postMessage", "internal_error", status=500, times=5)
        with pytest.raises(TransientDeliveryError):
            await post_all(adapter, "C7", sample_digest(1))


async def test_publisher_settles_a_lost_reply_exactly_once(tmp_path: Path) -> None:
    """The real publisher and ledger with this adapter: the parent's reply is lost (posted,
    500 returned); the next attempt finds it by key; the thread has no duplicates."""
    from bot.models import Subscription
    from bot.publish import publish
    from bot.store import Store

    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'pub.db'}")
    try:
        digest = sample_digest(3)
        sub = await store.save_subscription(Subscription(platform="slack", channel="C42"))
        async with fake_slack() as slack:
            adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                       per_channel_rate=1000)
            slack.fail_next("chat.postMessage", "internal_error", status=500, after=True)

            async def no_sleep(_: float) -> None:
                return None

            report = await publish(store, {"slack": adapter}, digest, [sub], sleep=no_sleep)
            assert report.channels[0].status == "done", report
            thread = slack.thread("C42")
            assert len(thread) == 4
            assert all(m["thread_ts"] == thread[0]["ts"] for m in thread[1:])
            again = await publish(store, {"slack": adapter}, digest, [sub], sleep=no_sleep)
            assert again.channels[0].status == "done"
            assert len(slack.thread("C42")) == 4  # the ledger: nothing posted twice
    finally:
        await store.close()


async def test_find_message_reads_keys_back() -> None:
    digest = sample_digest(3)
    async with fake_slack() as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        refs = await post_all(adapter, "C1", digest, prefix="2021-08-06")
        parent = await adapter.find_message("C1", "2021-08-06:0", None)
        assert parent == refs[0]
        reply = await adapter.find_message("C1", "2021-08-06:2", refs[0])
        assert reply == refs[2]
        assert await adapter.find_message("C1", "2021-08-06:9", refs[0]) is None
        assert await adapter.find_message("C1", "other:0", None) is None
        assert slack.count("conversations.replies") >= 1
        assert all(c.params.get("include_all_metadata") in ("1", "true", True)
                   for c in slack.calls if c.method.startswith("conversations."))


async def test_find_message_pages_through_long_threads() -> None:
    digest = sample_digest(30)
    async with fake_slack() as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        refs = await post_all(adapter, "C1", digest)
        import adapters.slack.post as sp

        # a small page size forces the cursor through several pages
        orig = adapter.client.conversations_replies

        async def small_pages(**kw):  # type: ignore[no-untyped-def]
            kw["limit"] = 7
            return await orig(**kw)

        adapter.client.conversations_replies = small_pages  # type: ignore[method-assign]
        found = await adapter.find_message("C1", "d:25", refs[0])
        assert found == refs[25]
        assert sp.HISTORY_PAGES >= 4


async def test_open_chat_adapter_checks_the_token() -> None:
    async with fake_slack() as slack:
        adapter = await open_chat_adapter(settings_for(slack.url))
        assert slack.count("auth.test") == 1
        await adapter.close()
        with pytest.raises(ConfigurationError, match="SLACK_BOT_TOKEN is missing"):
            await open_chat_adapter(settings_for(slack.url, token=None))
        slack.revoked.add("xoxb-revoked")
        with pytest.raises(ConfigurationError) as info:
            await open_chat_adapter(settings_for(slack.url, token="xoxb-revoked"))
        message = str(info.value)
        assert "token_revoked" in message and "xoxb-revoked" not in message
        assert "\n" not in message
        with pytest.raises(ConfigurationError, match="invalid_auth"):
            await open_chat_adapter(settings_for(slack.url, token="xoxb-wrong"))


async def test_unreachable_api_is_a_one_line_error_to_try_again() -> None:
    from bot.errors import PlatformUnavailable

    with pytest.raises(PlatformUnavailable, match="cannot reach the Slack API"):
        await open_chat_adapter(settings_for("http://127.0.0.1:9/api/"))


async def test_posting_is_a_chat_adapter() -> None:
    from bot.chat import ChatAdapter

    async with fake_slack() as slack:
        adapter = await open_chat_adapter(settings_for(slack.url))
        assert isinstance(adapter, ChatAdapter)
        ref = await adapter.send_parent("C2", sample_digest(1), key="k0")
        reply = await adapter.send_paper("C2", ref, sample_digest(1),
                                         sample_digest(1).papers[0], key="k1")
        assert reply.thread_id == ref.message_id
        assert isinstance(reply, DeliveryRef)
        await adapter.close()


async def test_real_rate_one_message_per_second_per_channel() -> None:
    """At Slack's real pace (fake: 1 msg/s per channel), the default adapter paces itself:
    no 429 at all, and two channels are paced independently."""
    async with fake_slack(rate_per_channel=1.0) as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN))
        start = time.monotonic()
        import asyncio

        await asyncio.gather(post_all(adapter, "CA", sample_digest(2)),
                             post_all(adapter, "CB", sample_digest(2)))
        took = time.monotonic() - start
        assert slack.count("chat.postMessage", 429) == 0
        assert len(slack.thread("CA")) == len(slack.thread("CB")) == 3
        assert 1.9 <= took < 5.0  # 3 messages a channel at 1/s, channels in parallel
