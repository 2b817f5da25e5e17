"""A publisher process for the crash test and the fan-out bench:

    python -m tests.fakes.publisher_proc DB_URL DATE [TARGET ...]

posts the stored digest of DATE (the bundled 2021-08-06 post is imported into an
empty store) through the real Slack and Discord adapters pointed at fakes by SLACK_API_URL /
DISCORD_API_URL. With targets (`platform:channel`) it posts the whole digest to each
(`hotpapers post`); without, it is the daily run's code path (`Scheduler.post_date`, as
`hotpapers post --subscribed`): every subscription in the store with its own view.
`HOTPAPERS_TEST_SLACK_RATE` sets the Slack adapter's per-channel pacing (messages/s),
HOTPAPERS_LEASE_SECONDS the thread leases. Exit 0 when every channel is done, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sys

import aiohttp

from bot.chat import ChatAdapter
from bot.models import Digest, Subscription
from bot.publish import Mode, PublishReport, publish
from bot.schedule import Scheduler
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
        try:
            await store_sample(store)
        except Exception:  # several posters started at once on an empty store: one imports
            if await store.get_digest(date) is None:
                raise
    subs = ([Subscription(*t.split(":", 1)) for t in targets] if targets
            else await store.list_subscriptions(include_paused=False))
    adapters = await open_adapters(settings, {s.platform for s in subs})

    async def post(digest: Digest, subs: list[Subscription]) -> PublishReport:
        return await publish(store, adapters, digest, subs, backoff=0.05,
                             mode=Mode.POST if targets else Mode.DAILY,
                             lease_ttl=settings.lease_seconds)

    async def stored(day: dt.date) -> Digest | None:
        return await store.get_digest(day)

    try:
        if targets:
            digest = await store.get_digest(date)
            assert digest is not None, f"no digest for {date}"
            report = await post(digest, subs)
        else:
            scheduler = Scheduler(store, settings, build=stored, publish=post)
            _, maybe = await scheduler.post_date(date)
            assert maybe is not None, f"no digest for {date}"
            report = maybe
    finally:
        for adapter in adapters.values():
            await adapter.close()
        await store.close()
    for c in report.channels:
        print(c.target, c.status, c.sent, c.already, c.settled, c.detail, flush=True)
    return 0 if report.count("done") == len(report.channels) else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(main(sys.argv[1], dt.date.fromisoformat(sys.argv[2]), sys.argv[3:])))
