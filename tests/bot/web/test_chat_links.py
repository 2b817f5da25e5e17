"""With HOTPAPERS_PUBLIC_URL set, the parent messages on Slack and Discord link the day's
page of the web archive: through the real publisher and adapters against the local fakes,
and in answers to /hot."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.discord.post import open_chat_adapter as open_discord
from adapters.slack.client import make_client
from adapters.slack.post import SlackChatAdapter
from bot.core import Core
from bot.models import Command, Subscription
from bot.publish import publish
from bot.settings import Settings
from bot.store import Store
from tests.adapters.slack.helpers import sample_digest
from tests.fakes.digests import store_sample
from tests.fakes.discord_api import TEXT_CHANNEL_ID, TOKEN, running_fake_discord
from tests.fakes.discord_api import sample_digest as discord_digest
from tests.fakes.slack_api import BOT_TOKEN, fake_slack

PUBLIC = "https://hot.example.org"
DAY_URL = PUBLIC + "/2021-08-06"


async def no_sleep(_: float) -> None:
    return None


async def test_slack_parent_links_the_day_page(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    try:
        async with fake_slack() as slack:
            adapter = SlackChatAdapter(make_client(Settings(slack_api_url=slack.url,
                                                            slack_bot_token=BOT_TOKEN),
                                                   BOT_TOKEN), per_channel_rate=1000)
            subs = [Subscription(platform="slack", channel=c) for c in ("C1", "C2")]
            digest = sample_digest(3)
            await publish(store, {"slack": adapter}, digest, subs[:1], sleep=no_sleep,
                          public_url=PUBLIC)
            await publish(store, {"slack": adapter}, digest, subs[1:], sleep=no_sleep)
            linked, plain = slack.thread("C1"), slack.thread("C2")
            assert f"<{DAY_URL}|Read it on the web>" in json.dumps(linked[0]["blocks"])
            assert DAY_URL not in json.dumps(linked[1:])  # only the parent links it
            assert PUBLIC not in json.dumps(plain)
            await adapter.close()
    finally:
        await store.close()


async def test_discord_parent_links_the_day_page(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}")
    try:
        async with running_fake_discord() as fake:
            adapter = await open_discord(Settings(
                discord_token=TOKEN, discord_api_url=fake.base_url,
                discord_gateway_url=fake.gateway_url))
            sub = Subscription(platform="discord", channel=str(TEXT_CHANNEL_ID))
            report = await publish(store, {"discord": adapter}, discord_digest(2), [sub],
                                   sleep=no_sleep, public_url=PUBLIC)
            assert report.channels[0].status == "done", report
            parent = fake.messages[TEXT_CHANNEL_ID][0]["embeds"][0]
            assert parent["url"] == DAY_URL
            assert f"[Read it on the web]({DAY_URL})" in parent["description"]
            await adapter.close()
    finally:
        await store.close()


async def test_hot_answers_carry_the_link(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"
    for public, expected in ((PUBLIC, DAY_URL), (None, "")):
        core = await Core.open(Settings(database_url=url, public_url=public))
        try:
            if not await core.store.digest_dates():
                await store_sample(core.store)
            answer = await core.answer(Command("hot", ("2021-08-06",), "slack", "C9",
                                                      can_manage_channel=False))
            assert answer.digest is not None and answer.digest.web_url == expected
        finally:
            await core.close()
