"""`hotpapers post` to the fake Slack (a real subprocess), the subscription commands and
`hotpapers status` (typer's CliRunner)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.archive.bundled import sample_digest as bundled_digest
from bot.cli import app
from bot.models import Delivery, Subscription
from bot.plans import delivery_key
from bot.store import Store
from tests.fakes.slack_api import BOT_TOKEN, fake_slack
from tests.paths import SAMPLE_POST

runner = CliRunner()
DATE = dt.date(2021, 8, 6)


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 90)
    return proc.returncode or 0, out.decode()


@pytest.mark.slow
async def test_post_to_slack_12_messages_paced_without_429(tmp_path: Path) -> None:
    async with fake_slack(rate_per_channel=1.0) as fake:  # Slack's ~1 message/s per channel
        env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.url,
               "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
        code, out = await run_cli(env, "import", str(SAMPLE_POST))  # a fresh store is empty
        assert code == 0, out
        start = time.monotonic()
        code, out = await run_cli(env, "post", "--date", "2021-08-06",
                                  "--to", "slack:C0AAA", "--to", "slack:C0BBB")
        took = time.monotonic() - start
        assert code == 0, out
        assert "slack:C0AAA: 12 of 12 messages sent" in out
        for ch in ("C0AAA", "C0BBB"):
            msgs = fake.thread(ch)
            assert len(msgs) == 12
            assert all(m["thread_ts"] == msgs[0]["ts"] for m in msgs[1:])
            digest = bundled_digest()
            parts = ["parent", *(p.paper.arxiv_id for p in digest.papers)]
            assert [m["metadata"]["event_payload"]["key"] for m in msgs] == [
                delivery_key(DATE.isoformat(), "slack", ch, "1", p) for p in parts]
            assert "Sketch Your Own GAN" in str(msgs[1]["blocks"])  # rank 1 first
        assert fake.count("chat.postMessage", 429) == 0
        assert took < 2 * 11  # the two channels went in parallel
        assert BOT_TOKEN not in out

        code, out = await run_cli(env, "post", "--date", "2021-08-06", "--to", "slack:C0AAA")
        assert code == 0 and "0 of 12 messages sent (12 already there)" in out
        assert len(fake.thread("C0AAA")) == 12

        fake.revoked.add(BOT_TOKEN)
        code, out = await run_cli(env, "post", "--to", "slack:C0AAA")
        assert code != 0 and "SLACK_BOT_TOKEN was rejected" in out and "Traceback" not in out


def test_post_on_an_empty_store_says_there_is_no_digest_yet() -> None:
    result = runner.invoke(app, ["post", "--to", "console:-"])
    assert result.exit_code == 2
    assert "no digest stored yet" in result.output and "hotpapers build" in result.output


def test_post_to_the_console_and_bad_input() -> None:
    assert runner.invoke(app, ["import", str(SAMPLE_POST)]).exit_code == 0
    result = runner.invoke(app, ["post", "--date", "2021-08-06", "--to", "console:-",
                                 "--category", "cs.CV"])
    assert result.exit_code == 0, result.output
    assert "Sketch Your Own GAN" in result.output
    assert "console:-: " in result.output and "messages sent" in result.output
    for args, hint in (
        (["--to", "slack"], "platform:channel"),
        (["--to", "fax:1"], "unknown platform 'fax'"),
        (["--to", "console:-", "--category", "cs.XY"], "Unknown arXiv category"),
        (["--to", "console:-", "--date", "2021-13-01"], "YYYY-MM-DD"),
        (["--to", "console:-", "--date", "2021-08-07"], "nearest stored: 2021-08-06"),
        (["--to", "slack:C1"], "SLACK_BOT_TOKEN is missing"),
        ([], "say where: --to slack:C0123"),
        (["--subscribed", "--to", "console:-"], "leave out --to, --category and --again"),
    ):
        result = runner.invoke(app, ["post", *args])
        assert result.exit_code != 0, args
        assert hint in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_post_again_force_alias_and_the_console_ledger() -> None:
    assert runner.invoke(app, ["import", str(SAMPLE_POST)]).exit_code == 0
    cv = ["post", "--date", "2021-08-06", "--to", "console:-", "-c", "cs.CV"]
    assert runner.invoke(app, cv).exit_code == 0
    full = runner.invoke(app, ["post", "--date", "2021-08-06", "--to", "console:-"])
    assert full.exit_code == 1
    assert ("2021-08-06 is already posted to console:- as 6 papers (cs.CV); add --again to "
            "post this view as a new thread") in " ".join(full.output.split())
    assert "Sketch Your Own GAN" not in full.output  # nothing was printed as posted
    again = runner.invoke(app, ["post", "--date", "2021-08-06", "--to", "console:-", "--force"])
    assert again.exit_code == 0, again.output
    assert "--force is now called --again" in again.output
    assert "console:- (thread 2): 12 of 12 messages sent" in again.output
    table = runner.invoke(app, ["deliveries", "--date", "2021-08-06"])
    assert table.exit_code == 0, table.output
    shown = " ".join(table.output.split())
    assert "console:- · thread 1 (post): 6 papers (cs.CV) · 7 of 7 sent" in shown
    assert "thread 2 (again): 11 papers (the whole digest) · 12 of 12 sent" in shown
    js = runner.invoke(app, ["deliveries", "--date", "2021-08-06", "--to", "console:-",
                             "--format", "json"])
    rows = json.loads(js.output)
    assert len(rows) == 19 and rows[0]["part"] == "parent" and rows[0]["state"] == "sent"
    assert rows[1]["part"] == "2108.02774" and rows[1]["position"] == 1
    for args, hint in ((["--format", "xml"], "use --format table or --format json"),
                       (["--to", "slack"], "platform:channel"),
                       (["--date", "someday"], "YYYY-MM-DD")):
        bad = runner.invoke(app, ["deliveries", *args])
        assert bad.exit_code != 0 and hint in bad.output and "Traceback" not in bad.output
    empty = runner.invoke(app, ["deliveries", "--date", "2021-08-05"])
    assert empty.exit_code == 0 and "Nothing was posted for 2021-08-05" in empty.output


def test_subscribe_unsubscribe_and_list() -> None:
    r = runner.invoke(app, ["subscribe", "slack:C123", "cs.LG", "stat.ML", "--keyword",
                            "deep learning", "--exclude-author", "Doe", "--max-papers", "5"])
    assert r.exit_code == 0, r.output
    assert "slack:C123 now gets" in r.output and "cs.LG, stat.ML" in r.output
    r = runner.invoke(app, ["subscribe", "discord:42"])
    assert r.exit_code == 0 and "the whole digest" in r.output
    r = runner.invoke(app, ["subscriptions"])
    assert "slack:C123" in r.output and "discord:42" in r.output and "deep" in r.output
    r = runner.invoke(app, ["subscribe", "slack:C123", "cs.LGG"])
    assert r.exit_code != 0 and "Did you mean cs.LG" in r.output
    r = runner.invoke(app, ["subscribe", "C123", "cs.LG"])
    assert r.exit_code != 0 and "platform:channel" in r.output
    r = runner.invoke(app, ["unsubscribe", "slack:C123", "cs.LG"])
    assert r.exit_code == 0 and "stat.ML" in r.output
    r = runner.invoke(app, ["unsubscribe", "slack:C123", "cs.CV"])
    assert r.exit_code != 0 and "doesn't follow cs.CV" in r.output
    r = runner.invoke(app, ["unsubscribe", "slack:C123"])
    assert r.exit_code == 0 and "no longer" in r.output
    r = runner.invoke(app, ["subscriptions"])
    assert "slack:C123" not in r.output and "discord:42" in r.output


def test_status_shows_next_run_last_posts_and_paused_channels(tmp_path: Path) -> None:
    async def seed() -> None:
        store = await Store.open(os.environ["HOTPAPERS_DATABASE_URL"])
        await store.save_subscription(Subscription("slack", "C0OK"))
        await store.save_subscription(Subscription("discord", "77"))
        await store.set_paused("discord", "77", True, "2021-08-06: 404 Unknown Channel")
        for part in ("parent", "2108.00001", "2108.00002"):
            await store.record_delivery(Delivery(DATE.isoformat(), "slack", "C0OK", "1", part,
                                                 "sent", message_id=f"1.{part}"))
        await store.record_delivery(Delivery(DATE.isoformat(), "slack", "C0OK", "1",
                                             "2108.00003", "pending", key="k"))
        await store.close()

    asyncio.run(seed())
    r = runner.invoke(app, ["status"])
    assert r.exit_code == 0, r.output
    assert "next daily post" in r.output and "09:00 UTC" in r.output
    assert "slack:C0OK" in r.output and "2021-08-06" in r.output
    assert "3 sent" in r.output and "1 pending" in r.output and "unfinished" in r.output
    assert "PAUSED" in r.output and "Unknown Channel" in r.output
    assert "hotpapers subscribe discord:77" in r.output


def test_live_build_skips_days_without_announcement() -> None:
    from bot.cli.service_cmds import live_build
    from bot.settings import Settings

    async def go() -> None:
        import aiohttp

        settings = Settings(arxiv_rss_url="http://127.0.0.1:9/", arxiv_api_url="http://127.0.0.1:9/")
        store = await Store.open(settings.database_url)
        async with aiohttp.ClientSession() as session:
            build = live_build(settings, store, session)
            assert await build(dt.date(2021, 8, 7)) is None  # a Saturday: no request made
        await store.close()

    asyncio.run(go())


def _seed_last_day(day: dt.date) -> None:
    async def go() -> None:
        store = await Store.open(os.environ["HOTPAPERS_DATABASE_URL"])
        await store.set_value("schedule.last_day", day.isoformat())
        await store.close()

    asyncio.run(go())


def test_run_once_with_nothing_due(monkeypatch: pytest.MonkeyPatch) -> None:
    # The worker also reads arXiv's feed; here arXiv is a closed port: retry it quickly.
    monkeypatch.setenv("HOTPAPERS_ARXIV_MIN_INTERVAL", "0.01")
    _seed_last_day(dt.datetime.now(dt.UTC).date())  # today's post is done
    r = runner.invoke(app, ["run", "--once", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "nothing due; next run" in r.output


async def test_worker_starts_and_stops_on_sigterm() -> None:
    import signal

    await asyncio.to_thread(_seed_last_day, dt.datetime.now(dt.UTC).date())
    env = dict(os.environ)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    while b"worker started" not in line:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
    proc.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, out.decode()
    assert b"Traceback" not in out


def test_registry_builds_adapters_by_platform_name() -> None:
    from adapters.registry import interactive_adapters, open_chat_adapter
    from bot.errors import ConfigurationError
    from bot.settings import Settings

    assert interactive_adapters(Settings()) == []  # no tokens configured

    async def go() -> None:
        console = await open_chat_adapter("console", Settings())
        assert console.platform == "console"
        with pytest.raises(ConfigurationError, match="unknown platform 'fax'"):
            await open_chat_adapter("fax", Settings())
        with pytest.raises(ConfigurationError, match="SLACK_BOT_TOKEN is missing"):
            await open_chat_adapter("slack", Settings())

    asyncio.run(go())
