"""SlackChatAdapter against the fake Slack Web API: thread structure, 429 retries,
pacing, error mapping, idempotency keys read back (anywhere in a long thread), token
checks, and the core's delivery loop settling sends Slack stored but never confirmed."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.client import make_client
from adapters.slack.post import SlackChatAdapter, open_chat_adapter
from bot.chat import Wanted
from bot.errors import (
    ConfigurationError,
    InDoubtDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.models import PARENT, DeliveryRef, Digest, Subscription
from bot.publish import Mode, PublishReport, publish
from bot.settings import Settings
from bot.store import Store
from tests.adapters.slack.helpers import sample_digest
from tests.fakes.slack_api import BOT_TOKEN, fake_slack


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.slack.client.RETRY_BACKOFF", 0.01)


def settings_for(url: str, token: str | None = BOT_TOKEN) -> Settings:
    return Settings(slack_api_url=url, slack_bot_token=token)


async def post_all(adapter: SlackChatAdapter, channel: str, digest: Digest, prefix: str = "d"
                   ) -> list[DeliveryRef]:
    """The thread, sent message by message with keys `prefix:0`, `prefix:1` ..."""
    parent = await adapter.send_parent(channel, digest, key=f"{prefix}:0")
    refs = [parent]
    for p in digest.papers:
        refs.append(await adapter.send_paper(channel, parent, digest, p, key=f"{prefix}:{p.rank}"))
    return refs


def wanted(key: str, part: str = PARENT) -> Wanted:
    return Wanted(key=key, part=part, since=dt.datetime.now(dt.UTC))


async def publish_now(store: Store, adapter: SlackChatAdapter, digest: Digest, channel: str,
                      **kw: Any) -> PublishReport:
    async def no_sleep(_: float) -> None:
        return None

    return await publish(store, {"slack": adapter}, digest, [Subscription("slack", channel)],
                         sleep=no_sleep, mode=Mode.POST, **kw)


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


async def test_server_error_is_in_doubt_and_not_retried_by_the_sdk() -> None:
    async with fake_slack() as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        slack.fail_next("chat.postMessage", "internal_error", status=500, after=True)
        with pytest.raises(InDoubtDeliveryError, match="internal_error"):
            await adapter.send_parent("C5", sample_digest(1), key="k0")
        assert slack.count("chat.postMessage") == 1  # a 500 may have posted: no SDK retry
        assert len(slack.thread("C5")) == 1
        slack.fail_next("chat.postMessage", "x", after=True, drop=True)
        with pytest.raises(InDoubtDeliveryError):
            await adapter.send_parent("C6", sample_digest(1), key="k1")
        assert slack.count("chat.postMessage") == 2  # a dropped connection: no SDK retry
        assert len(slack.thread("C6")) == 1
    closed = SlackChatAdapter(make_client(settings_for("http://127.0.0.1:9/api/"), BOT_TOKEN))
    with pytest.raises(TransientDeliveryError) as refused:  # never connected: not sent
        await closed.send_parent("C7", sample_digest(1), key="k2")
    assert not isinstance(refused.value, InDoubtDeliveryError)


@pytest.mark.parametrize("drop", [False, True], ids=["500-after-storing", "dropped"])
async def test_the_core_loop_settles_a_stored_but_unconfirmed_send(tmp_path: Path, drop: bool
                                                                   ) -> None:
    """Slack stores the parent and the second paper, then answers 500 (or drops the
    connection): the delivery loop reads each key back and records it, and nothing is
    posted twice; a 503 that stored nothing is read back, not found, and sent again."""
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'pub.db'}")
    try:
        digest = sample_digest(3)
        async with fake_slack() as slack:
            adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                       per_channel_rate=1000)
            slack.fail_next("chat.postMessage", "internal_error", status=500, after=True,
                            drop=drop)
            slack.fail_next("chat.postMessage", "internal_error", status=500, after=True,
                            drop=drop, skip=1)
            (c,) = (await publish_now(store, adapter, digest, "C42")).channels
            assert c.status == "done" and c.settled == 2, c
            thread = slack.thread("C42")
            keys = [m["metadata"]["event_payload"]["key"] for m in thread]
            assert len(thread) == 4 and len(set(keys)) == 4  # no duplicate, none lost
            assert all(m["thread_ts"] == thread[0]["ts"] for m in thread[1:])
            assert slack.count("chat.postMessage") == 4  # nothing resent
            rows = await store.deliveries("2021-08-06", "slack", "C42")
            assert {r.status for r in rows} == {"sent"}
            assert sum(r.detail == "settled after doubt" for r in rows) == 2
            assert [r.attempts for r in rows if r.detail] == [1, 1]
            slack.fail_next("chat.postMessage", "internal_error", status=503)  # not stored
            (c,) = (await publish_now(store, adapter, sample_digest(1), "C43")).channels
            assert c.status == "done" and len(slack.thread("C43")) == 2
            slack.fail_next("chat.postMessage", "internal_error", status=500, times=10)
            (c,) = (await publish_now(store, adapter, sample_digest(1), "C44")).channels
            assert c.status == "failed" and slack.thread("C44") == []
    finally:
        await store.close()


async def test_find_message_reads_keys_back() -> None:
    digest = sample_digest(3)
    async with fake_slack() as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        refs = await post_all(adapter, "C1", digest, prefix="2021-08-06")
        parent = await adapter.find_message("C1", wanted("2021-08-06:0"), None)
        assert parent == refs[0]
        reply = await adapter.find_message("C1", wanted("2021-08-06:2", "2108.02002"), refs[0])
        assert reply == refs[2]
        assert await adapter.find_message("C1", wanted("2021-08-06:9", "x"), refs[0]) is None
        assert await adapter.find_message("C1", wanted("other:0"), None) is None
        assert slack.count("conversations.replies") >= 1
        assert all(c.params.get("include_all_metadata") in ("1", "true", True)
                   for c in slack.calls if c.method.startswith("conversations."))


async def test_find_message_pages_through_long_threads_and_busy_channels() -> None:
    """Slack returns at most 7 messages a page here: a key on the fifth page of a
    30-paper thread, and a parent behind 40 newer messages, are still found."""
    digest = sample_digest(30)
    async with fake_slack(max_page=7) as slack:
        adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                   per_channel_rate=1000)
        refs = await post_all(adapter, "C1", digest)
        for i in range(40):  # the channel moved on
            await adapter.send_parent("C1", sample_digest(0), key=f"other{i}")
        found = await adapter.find_message("C1", wanted("d:29", "x"), refs[0])
        assert found == refs[29]
        assert slack.count("conversations.replies") == 5  # 31 messages, 7 a page
        assert await adapter.find_message("C1", wanted("d:0"), None) == refs[0]
        assert slack.count("conversations.history") == 6  # 41 parents, 7 a page
        assert await adapter.find_message("C1", wanted("d:99", "x"), refs[0]) is None


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
        # permalinks from the workspace URL auth.test gave
        ts = ref.message_id.replace(".", "")
        assert ref.permalink == f"https://fake.slack.com/archives/C2/p{ts}"
        assert reply.permalink is not None
        assert reply.permalink.endswith(f"?thread_ts={ref.message_id}&cid=C2")
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


async def test_a_30_paper_thread_past_the_first_page_is_settled_not_resent(tmp_path: Path
                                                                            ) -> None:
    """Slack pages 7 messages at a time; it stores paper 30 and answers 500: the loop
    pages the thread to its fifth page, records the message, and resends nothing."""
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 's30.db'}")
    try:
        async with fake_slack(max_page=7) as slack:
            adapter = SlackChatAdapter(make_client(settings_for(slack.url), BOT_TOKEN),
                                       per_channel_rate=1000)
            slack.fail_next("chat.postMessage", "internal_error", status=500, after=True,
                            skip=30)
            (c,) = (await publish_now(store, adapter, sample_digest(30), "C30")).channels
            assert c.status == "done" and c.settled == 1 and c.sent == 30, c
            assert len(slack.thread("C30")) == 31 and slack.count("chat.postMessage") == 31
            assert slack.count("conversations.replies") == 5
    finally:
        await store.close()
