"""Migration 0003: webhook URLs stored before issue 13 (as channels of subscriptions and
deliveries, in the schedule's state) become webhook ids; no token is left in any table."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from bot.store import Store
from bot.store.migrate import upgrade

URL = "https://discord.com/api/webhooks/112233445566778899/S3CRET-token.value"
OTHER = "https://discord.com/api/webhooks/42/An0ther-S3CRET"


async def test_webhook_urls_become_ids(any_store_url: str) -> None:
    old = await Store.open(any_store_url, migrate=False)
    async with old.engine.begin() as conn:
        await conn.run_sync(upgrade, "0002")
        now = dt.datetime(2021, 8, 7)
        for channel in (URL, OTHER, "42", "default"):
            await conn.execute(sa.text(
                "INSERT INTO subscriptions (platform, workspace, channel, categories, filters, "
                "min_score, paused, pause_reason, created_at) VALUES ('webhook', '', :c, '[]', "
                "'{}', 0, false, :r, :t)"), {"c": channel, "r": f"failed at {channel}", "t": now})
        for part in (0, 1):
            await conn.execute(sa.text(
                "INSERT INTO deliveries (digest_date, platform, channel, part, workspace, status,"
                " nonce, detail, updated_at) VALUES (:d, 'webhook', :c, :p, '', 'sent', 'k', "
                ":x, :t)"), {"d": dt.date(2021, 8, 6), "c": URL, "p": part,
                             "x": f"posted to {URL}", "t": now})
        await conn.execute(sa.text("INSERT INTO kv (key, value) VALUES ('schedule.unfinished', "
                                   ":v)"), {"v": json.dumps({"2021-08-06": [f"webhook:{URL}",
                                                                            "slack:C1"]})})
    await old.close()

    store = await Store.open(any_store_url)
    try:
        subs = {s.channel: s for s in await store.list_subscriptions("webhook")}
        assert set(subs) == {"112233445566778899", "42", "default"}  # OTHER merged into 42
        assert "S3CRET" not in subs["112233445566778899"].pause_reason
        rows = await store.deliveries("2021-08-06")  # then keyed by thread and part (0004)
        assert sorted((d.channel, d.thread, d.part) for d in rows) == [
            ("112233445566778899", "1", "#1"), ("112233445566778899", "1", "parent")]
        assert all("S3CRET" not in d.detail for d in rows)
        assert json.loads(await store.get_value("schedule.unfinished") or "{}") == {
            "2021-08-06": ["webhook:112233445566778899", "slack:C1"]}
        async with store.engine.connect() as conn:
            for table in ("subscriptions", "deliveries", "kv"):
                for row in (await conn.execute(sa.text(f"SELECT * FROM {table}"))).all():
                    assert "S3CRET" not in repr(row), (table, row)
    finally:
        await store.close()
