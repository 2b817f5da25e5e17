"""Slash commands arriving as real INTERACTION_CREATE dispatches over the fake gateway,
answered by the real core (SQLite store with the bundled 2021-08-06 sample)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.discord import interactive_adapter
from adapters.discord.gateway import DiscordInteractive
from bot.core import Core
from bot.errors import ConfigurationError
from bot.models import BuildResult, Subscription
from bot.settings import Settings
from bot.store import Store
from tests.fakes.digests import store_sample
from tests.fakes.discord_api import (
    TEXT_CHANNEL_ID,
    TOKEN,
    FakeDiscord,
    running_fake_discord,
    sample_digest,
)

EPHEMERAL = 64
SAMPLE_DATE = "2021-08-06"


@dataclass
class Running:
    fake: FakeDiscord
    core: Core
    adapter: DiscordInteractive


def settings_for(fake: FakeDiscord, tmp_path: Path, token: str = TOKEN) -> Settings:
    return Settings(discord_token=token, discord_api_url=fake.base_url,
                    discord_gateway_url=fake.gateway_url,
                    database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")


async def slow_builder(_store: Store, date: dt.date) -> BuildResult:
    await asyncio.sleep(0.5)
    if date == dt.date(2021, 8, 4):
        raise RuntimeError("sources down")
    return BuildResult(sample_digest(3, date=date.isoformat()), ("built from: X",))


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_fake_discord() as fake:
        settings = settings_for(fake, tmp_path)
        core = await Core.open(settings, builder=slow_builder)
        await store_sample(core.store)
        adapter = DiscordInteractive(settings, defer_after=0.2, guild_ready_timeout=0.1)
        task = asyncio.create_task(adapter.start(core))
        await asyncio.wait_for(fake.identified.wait(), 5)
        yield Running(fake, core, adapter)
        await adapter.close()
        await asyncio.wait_for(task, 5)
        await core.close()


def opt(name: str, value: str, focused: bool = False) -> dict[str, object]:
    out: dict[str, object] = {"name": name, "type": 3, "value": value}
    if focused:
        out["focused"] = True
    return out


async def test_commands_are_synced_in_setup_hook_with_permissions(running: Running) -> None:
    synced = {c["name"]: c for c in running.fake.commands["global"]}
    assert set(synced) == {"hot", "subscribe", "unsubscribe", "subscriptions"}
    assert int(synced["subscribe"]["default_member_permissions"]) == 16  # Manage Channels
    assert int(synced["unsubscribe"]["default_member_permissions"]) == 16
    assert synced["hot"].get("default_member_permissions") is None
    hot_opts = {o["name"]: o for o in synced["hot"]["options"]}
    assert hot_opts["date"]["autocomplete"] and hot_opts["category"]["autocomplete"]
    assert hot_opts["window"]["autocomplete"] and not hot_opts["window"].get("required")
    assert len(running.fake.sent("PUT", r"/commands$")) == 1


async def test_hot_with_a_date_posts_the_thread_like_the_daily_post(running: Running) -> None:
    fake = running.fake
    iid = await fake.interact("hot", [opt("date", SAMPLE_DATE)])
    cb = await fake.callback(iid)
    assert cb.type == 4 and cb.delay < 3.0  # answered at once, publicly
    assert not cb.data.get("flags", 0) & EPHEMERAL
    assert SAMPLE_DATE in cb.data["content"]
    await fake.wait_for(lambda: len(fake.sent("POST", r"/channels/\d+/messages$")) >= 12)
    parents = [m for m in fake.messages[TEXT_CHANNEL_ID] if m.get("embeds")]
    assert len(parents) == 1 and parents[0]["embeds"][0]["title"] == f"Hot Papers {SAMPLE_DATE}"
    replies = fake.thread_messages(parents[0]["id"])
    assert len(replies) == 11
    assert [m["embeds"][0]["title"].split(".")[0] for m in replies] == [
        str(i) for i in range(1, 12)]


async def test_hot_with_a_category_filters_the_papers(running: Running) -> None:
    fake = running.fake
    iid = await fake.interact("hot", [opt("date", SAMPLE_DATE), opt("category", "cs.CV")])
    cb = await fake.callback(iid)
    assert cb.type == 4
    await fake.wait_for(lambda: any(m.get("embeds") for m in fake.messages[TEXT_CHANNEL_ID]))
    parent = next(m for m in fake.messages[TEXT_CHANNEL_ID] if m.get("embeds"))
    assert "cs.CV" in parent["embeds"][0]["description"]
    await asyncio.sleep(0.3)
    replies = fake.thread_messages(parent["id"])
    assert 0 < len(replies) < 11
    assert all("cs.CV" in m["embeds"][0]["description"] for m in replies)


async def test_hot_with_a_window_posts_the_weeks_papers(running: Running) -> None:
    fake = running.fake
    iid = await fake.interact("hot", [opt("window", "2021-W31")])
    cb = await fake.callback(iid)
    assert cb.type == 4 and not cb.data.get("flags", 0) & EPHEMERAL
    assert "Hot Papers of the week 2021-W31: 11 papers" in cb.data["content"]
    await fake.wait_for(lambda: len(fake.sent("POST", r"/channels/\d+/messages$")) >= 12)
    parent = next(m for m in fake.messages[TEXT_CHANNEL_ID] if m.get("embeds"))
    embed = parent["embeds"][0]
    assert embed["title"] == "Hot Papers of the week 2021-W31"
    assert "1. [Sketch Your Own GAN](https://arxiv.org/abs/2108.02774)" in embed["description"]
    assert "1 stored day, 2021-08-06 to 2021-08-06" in embed["description"]
    replies = fake.thread_messages(parent["id"])
    assert "listed 2021-08-06" in replies[0]["embeds"][0]["description"]
    # a window and a date at once: one line, ephemeral
    iid = await fake.interact("hot", [opt("window", "week"), opt("date", SAMPLE_DATE)])
    cb = await fake.callback(iid)
    assert cb.data["flags"] & EPHEMERAL and cb.data["content"].startswith("Two dates")
    # autocomplete: the relative words, then the weeks and months of the stored days
    iid = await fake.interact("hot", [opt("window", "", focused=True)], type_=4)
    cb = await fake.callback(iid)
    assert [c["value"] for c in cb.data["choices"]] == ["week", "month", "2021-W31", "2021-08"]


async def test_bad_input_gets_a_one_line_ephemeral_answer(running: Running) -> None:
    iid = await running.fake.interact("hot", [opt("date", SAMPLE_DATE),
                                              opt("category", "cs.XYZ")])
    cb = await running.fake.callback(iid)
    assert cb.type == 4 and cb.data["flags"] & EPHEMERAL
    assert "cs.XYZ" in cb.data["content"] and "\n" not in cb.data["content"]


async def test_a_slow_build_defers_within_3_s_and_follows_up(running: Running) -> None:
    fake = running.fake
    iid = await fake.interact("hot", [opt("date", "2021-08-05")])  # not stored: built
    cb = await fake.callback(iid)
    assert cb.type == 5 and cb.delay < 1.0  # deferred ("thinking"), well within 3 s
    await fake.wait_for(lambda: bool(fake.followups), within=5)
    assert "2021-08-05" in fake.followups[0]["content"]
    await fake.wait_for(lambda: len(fake.sent("POST", r"/channels/\d+/messages$")) >= 4)
    parent = next(m for m in fake.messages[TEXT_CHANNEL_ID] if m.get("embeds"))
    assert "built from: X" in parent["embeds"][0]["description"]


async def test_subscribe_needs_manage_channels_and_answers_ephemerally(running: Running) -> None:
    fake, store = running.fake, running.core.store
    iid = await fake.interact("subscribe", [opt("categories", "cs.CV")], permissions=0)
    cb = await fake.callback(iid)
    assert cb.data["flags"] & EPHEMERAL and "Manage Channels" in cb.data["content"]
    assert await store.get_subscription("discord", str(TEXT_CHANNEL_ID)) is None

    iid = await fake.interact("subscribe", [opt("categories", "cs.CV cs.LG")])
    cb = await fake.callback(iid)
    assert cb.data["flags"] & EPHEMERAL
    sub = await store.get_subscription("discord", str(TEXT_CHANNEL_ID))
    assert sub is not None and set(sub.categories) == {"cs.CV", "cs.LG"}
    assert sub.workspace == "800000000000000001"

    iid = await fake.interact("subscriptions", permissions=0)
    cb = await fake.callback(iid)
    assert cb.data["flags"] & EPHEMERAL and "cs.CV" in cb.data["content"]

    iid = await fake.interact("unsubscribe", [opt("categories", "cs.LG")])
    await fake.callback(iid)
    sub = await store.get_subscription("discord", str(TEXT_CHANNEL_ID))
    assert sub is not None and sub.categories == ("cs.CV",)

    iid = await fake.interact("unsubscribe")
    await fake.callback(iid)
    assert await store.get_subscription("discord", str(TEXT_CHANNEL_ID)) is None


async def test_hot_in_a_subscribed_channel_shows_the_channels_view(running: Running) -> None:
    fake = running.fake
    await running.core.store.save_subscription(Subscription(
        "discord", str(TEXT_CHANNEL_ID), categories=("cs.CV",)))
    iid = await fake.interact("hot", [opt("date", SAMPLE_DATE)])
    await fake.callback(iid)
    await fake.wait_for(lambda: any(m.get("embeds") for m in fake.messages[TEXT_CHANNEL_ID]))
    parent = next(m for m in fake.messages[TEXT_CHANNEL_ID] if m.get("embeds"))
    assert "cs.CV" in parent["embeds"][0]["description"]


async def test_autocomplete_dates_and_categories(running: Running) -> None:
    fake = running.fake
    iid = await fake.interact("hot", [opt("date", "2021", focused=True)], type_=4)
    cb = await fake.callback(iid)
    assert cb.type == 8 and [c["value"] for c in cb.data["choices"]] == [SAMPLE_DATE]
    iid = await fake.interact("hot", [opt("category", "cs.c", focused=True)], type_=4)
    cb = await fake.callback(iid)
    values = [c["value"] for c in cb.data["choices"]]
    assert "cs.CV" in values and len(values) <= 25
    iid = await fake.interact("subscribe", [opt("categories", "cs.LG stat.m", focused=True)],
                              type_=4)
    cb = await fake.callback(iid)
    assert "cs.LG stat.ML" in [c["value"] for c in cb.data["choices"]]


async def test_bad_token_fails_at_start_in_one_line(tmp_path: Path) -> None:
    async with running_fake_discord() as fake:
        settings = settings_for(fake, tmp_path, token="not-the-token")
        core = await Core.open(settings)
        adapter = interactive_adapter(settings)
        assert adapter is not None
        with pytest.raises(ConfigurationError) as info:
            await asyncio.wait_for(adapter.start(core), 5)
        await core.close()
    assert "\n" not in str(info.value) and "not-the-token" not in str(info.value)
    assert interactive_adapter(Settings()) is None


async def test_gateway_handshake_and_heartbeats(tmp_path: Path) -> None:
    async with running_fake_discord(heartbeat_interval_ms=100) as fake:
        settings = settings_for(fake, tmp_path)
        core = await Core.open(settings)
        adapter = DiscordInteractive(settings, guild_ready_timeout=0.1)
        task = asyncio.create_task(adapter.start(core))
        try:
            ops = fake.gateway_ops
            await fake.wait_for(lambda: 2 in ops and ops[ops.index(2):].count(1) >= 2, within=5)
            assert ops.count(2) == 1  # one IDENTIFY, then a steady heartbeat
            assert adapter.bot is not None and adapter.bot.is_ready()
            assert adapter.bot.latency < 1.0  # heartbeats were acknowledged (op 11)
        finally:
            await adapter.close()
            await asyncio.wait_for(task, 5)
            await core.close()


@pytest.mark.parametrize(("code", "says"), [(4014, "intents"), (4004, "DISCORD_TOKEN")])
async def test_gateway_refusals_are_one_line_errors_at_start(tmp_path: Path, code: int,
                                                             says: str) -> None:
    async with running_fake_discord(identify_close_code=code) as fake:
        settings = settings_for(fake, tmp_path)
        core = await Core.open(settings)
        adapter = DiscordInteractive(settings, guild_ready_timeout=0.1)
        try:
            with pytest.raises(ConfigurationError, match=says) as info:
                await asyncio.wait_for(adapter.start(core), 5)
        finally:
            await adapter.close()
            await core.close()
    assert "\n" not in str(info.value)


async def test_reply_posts_text_and_digests_outside_an_interaction(running: Running) -> None:
    from bot.models import Answer, Command

    fake = running.fake
    command = Command("hot", (), "discord", str(TEXT_CHANNEL_ID), can_manage_channel=False)
    await running.adapter.reply(command, Answer(text="plain answer"))
    await running.adapter.reply(command, Answer(text="x", digest=sample_digest(2)))
    msgs = fake.messages[TEXT_CHANNEL_ID]
    assert msgs[0]["content"] == "plain answer"
    assert msgs[1]["embeds"][0]["title"] == "Hot Papers 2021-08-06"
    assert len(fake.thread_messages(msgs[1]["id"])) == 2


async def test_a_slow_failure_replaces_the_public_deferral_with_a_private_answer(
        running: Running) -> None:
    fake = running.fake
    iid = await fake.interact("hot", [opt("date", "2021-08-04")])
    cb = await fake.callback(iid)
    assert cb.type == 5 and not cb.data.get("flags", 0) & EPHEMERAL
    await fake.wait_for(lambda: bool(fake.followups))
    assert fake.deleted_originals == [f"itok{iid}"]
    assert fake.followups[0]["flags"] & EPHEMERAL
    assert "failed" in fake.followups[0]["content"]


async def test_hot_inside_a_thread_posts_into_that_thread(running: Running) -> None:
    fake = running.fake
    fake.add_channel(555, "a discussion", 11, parent=TEXT_CHANNEL_ID)
    iid = await fake.interact("hot", [opt("date", SAMPLE_DATE)], channel=555)
    await fake.callback(iid)
    await fake.wait_for(lambda: len(fake.thread_messages(555)) >= 13)  # answer+parent+11
    titles = [m["embeds"][0]["title"] for m in fake.thread_messages(555) if m["embeds"]]
    assert titles[0] == "Hot Papers 2021-08-06" and titles[1].startswith("1. ")
    assert not fake.sent("POST", r"/threads$")
