"""Webhooks by name (issue 13: `post --to webhook:<URL>` printed the token, logged it and
stored it in the deliveries table). The CLI runs as a real subprocess against the fake
Discord; the database is read back table by table."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.adapters.discord.test_post_cli import run_cli
from tests.dump import dump_sqlite
from tests.fakes.discord_api import TEXT_CHANNEL_ID, running_fake_discord
from tests.paths import SAMPLE_POST


async def test_a_webhook_url_on_the_command_line_posts_by_id_and_is_never_echoed(
        tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    async with running_fake_discord() as fake:
        url = fake.webhook_url(TEXT_CHANNEL_ID)
        webhook_id, token = url.split("/")[-2:]
        env = {**os.environ, "DISCORD_API_URL": fake.base_url,
               "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
        assert (await run_cli(env, "import", str(SAMPLE_POST)))[0] == 0
        code, out = await run_cli(env, "post", "--date", "2021-08-06", "-v",
                                  "--to", f"webhook:{url}")
        assert code == 0, out
        assert f"webhook:{webhook_id}: 12 of 12 messages sent" in out
        assert len(fake.messages[TEXT_CHANNEL_ID]) == 12
        code, again = await run_cli(env, "post", "--date", "2021-08-06", "--to", f"webhook:{url}")
        assert code == 0 and "(12 already there)" in again  # the ledger knows it by id
        code, status = await run_cli(env, "status")
        assert f"webhook:{webhook_id}" in status
    for text in (out, again, status, dump_sqlite(db)):
        assert token not in text
    assert f"'webhook', '{webhook_id}'" in dump_sqlite(db)


async def test_webhooks_by_name_post_subscribe_and_list(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    async with running_fake_discord() as fake:
        url = fake.webhook_url(TEXT_CHANNEL_ID)
        token = url.rsplit("/", 1)[-1]
        env = {**os.environ, "DISCORD_API_URL": fake.base_url,
               "HOTPAPERS_DISCORD_WEBHOOKS": json.dumps({"lab": url}),
               "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
        assert (await run_cli(env, "import", str(SAMPLE_POST)))[0] == 0
        code, out = await run_cli(env, "post", "--date", "2021-08-06", "-v", "--to", "webhook:lab")
        assert code == 0 and "webhook:lab: 12 of 12 messages sent" in out, out
        code, sub = await run_cli(env, "subscribe", "webhook:lab", "cs.CV")
        assert code == 0 and "webhook:lab now gets" in sub, sub
        code, listed = await run_cli(env, "subscriptions")
        assert "webhook:lab" in listed
        code, bad = await run_cli(env, "post", "--to", "webhook:team")
        assert code == 2 and "webhook:team is not configured (configured: lab)" in bad
        fake.webhooks.clear()  # the webhook was deleted in Discord
        code, gone = await run_cli(env, "post", "--date", "2021-08-06", "--force",
                                   "--to", "webhook:lab")
        assert code != 0 and "webhook:lab" in gone and "Traceback" not in gone
    for text in (out, sub, listed, bad, gone, dump_sqlite(db)):
        assert token not in text
