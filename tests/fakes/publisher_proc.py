"""A publisher process for the crash test and the fan-out bench:

    python -m tests.fakes.publisher_proc DB_URL DATE TARGET [TARGET ...]

posts the stored digest of DATE (the bundled 2021-08-06 post is imported into an empty
store) to each `platform:channel` target with `bot.publish.publish`, through the real
Slack and Discord adapters pointed at fakes by SLACK_API_URL / DISCORD_API_URL.
`HOTPAPERS_TEST_SLACK_RATE` sets the Slack adapter's per-channel pacing (messages/s).
Exit 0 when every channel is done, 1 otherwise."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys

import aiohttp

from bot.chat import ChatAdapter
from bot.models import Subscription
from bot.publish import publish
from bot.settings import Settings
from bot.store import Store
from tests.fakes.digests import store_sample


async def open_adapters(settings: Settings, platforms: set[str]) -> dict[str, ChatAdapter]:
    adapters: dict[str, ChatAdapter] = {}
    if "slack" in platforms:
        from adapters.slack.client import make_client
        from adapters.slack.post import SlackChatAdapter

        assert settings.slack_bot_token is not None
        session = aiohttp.ClientSession()
        client = make_client(settings, settings.slack_bot_token.get_secret_value(),
                             session=session)
        rate = float(os.environ.get("HOTPAPERS_TEST_SLACK_RATE", "1.0"))
        adapters["slack"] = SlackChatAdapter(client, per_channel_rate=rate, owns_session=session)
    if "discord" in platforms:
        from adapters.discord.post import open_chat_adapter

        adapters["discord"] = await open_chat_adapter(settings)
    return adapters


async def main(db_url: str, date: dt.date, targets: list[str]) -> int:
    settings = Settings(database_url=db_url)
    store = await Store.open(db_url)
    if await store.latest_date() is None:
        await store_sample(store)
    digest = await store.get_digest(date)
    assert digest is not None, f"no digest for {date}"
    subs = [Subscription(*t.split(":", 1)) for t in targets]
    adapters = await open_adapters(settings, {s.platform for s in subs})
    try:
        report = await publish(store, adapters, digest, subs, backoff=0.05)
    finally:
        for adapter in adapters.values():
            await adapter.close()
        await store.close()
    for c in report.channels:
        print(c.target, c.status, c.sent, c.already, c.settled, c.detail, flush=True)
    return 0 if report.count("done") == len(subs) else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(main(sys.argv[1], dt.date.fromisoformat(sys.argv[2]), sys.argv[3:])))
