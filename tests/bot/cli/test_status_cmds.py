"""`status` and `subscriptions` never cut a channel id (issue 13: `discord:600000000000000…`
at 80 columns), also as `--format json`; `status` shows each platform of the worker."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os

from typer.testing import CliRunner

from bot.cli import app
from bot.models import Delivery, Subscription
from bot.platforms import Supervisor
from bot.store import Store

runner = CliRunner()
IDS = ("600000000000000001", "600000000000000002")
DATE = dt.date(2021, 8, 6)


def seed() -> None:
    async def go() -> None:
        store = await Store.open(os.environ["HOTPAPERS_DATABASE_URL"])
        for cid in IDS:
            await store.save_subscription(Subscription(
                "discord", cid, workspace="800000000000000001",
                categories=("cs.LG", "stat.ML", "cs.CV", "cs.CL", "cs.AI"),
                include_keywords=("diffusion models", "large language models")))
            await store.record_delivery(Delivery(DATE.isoformat(), "discord", cid, "1", "parent",
                                                 "sent", message_id="1"))
        await store.set_paused("discord", IDS[1], True, "404 Unknown Channel")
        supervisor = Supervisor(store)
        await supervisor.record("slack", "running")
        await supervisor.record("discord", "retrying", "cannot reach Discord (connection "
                                "refused)", failures=3)
        await store.close()

    asyncio.run(go())


def test_subscriptions_and_status_show_whole_ids_at_80_columns() -> None:
    seed()
    for command in (["subscriptions"], ["status"]):
        result = runner.invoke(app, command, terminal_width=80)
        assert result.exit_code == 0, result.output
        for cid in IDS:
            assert f"discord:{cid}" in result.output, result.output
        assert "…" not in result.output
    status = runner.invoke(app, ["status"], terminal_width=80).output
    assert "platform slack: running" in status
    assert "platform discord: retrying" in status and "connection refused" in status


def test_json_formats() -> None:
    seed()
    subs = json.loads(runner.invoke(app, ["subscriptions", "--format", "json"]).stdout)
    assert [s["target"] for s in subs] == [f"discord:{c}" for c in IDS]
    assert subs[0]["categories"] == ["cs.LG", "stat.ML", "cs.CV", "cs.CL", "cs.AI"]
    assert subs[1]["paused"] is True and subs[1]["pause_reason"] == "404 Unknown Channel"
    status = json.loads(runner.invoke(app, ["status", "-f", "json"]).stdout)
    assert [c["target"] for c in status["channels"]] == [f"discord:{c}" for c in IDS]
    assert status["channels"][0]["messages"] == {"sent": 1}
    assert status["channels"][1]["state"] == "paused"
    assert status["platforms"]["discord"]["state"] == "retrying"
    assert status["platforms"]["discord"]["failures"] == 3
    assert status["next_run"] and status["catch_up"] is True
