"""A setting that doesn't parse is ONE line naming the variable, the wrong value and what
is accepted, exit code 2, for every command (issue 13: pydantic tracebacks before)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import get_settings

runner = CliRunner()

BAD = [
    ("HOTPAPERS_POST_TIME", "25:00", "HOTPAPERS_POST_TIME=25:00: not a time of day; use HH:MM, "
     "for example 09:00"),
    ("HOTPAPERS_MIN_SCORE", "abc", "HOTPAPERS_MIN_SCORE=abc: not a whole number"),
    ("HOTPAPERS_MIN_SCORE", "-5", "HOTPAPERS_MIN_SCORE=-5: not a whole number of at least 0"),
    ("HOTPAPERS_CATCH_UP", "maybe", "HOTPAPERS_CATCH_UP=maybe: not true or false"),
    ("PORT", "notaport", "PORT=notaport: not a port; use a whole number from 1 to 65535"),
    ("PORT", "70000", "PORT=70000: not a port"),
    ("HOTPAPERS_LISTING", "notjson", 'HOTPAPERS_LISTING=notjson: not a JSON list of arXiv '
     'categories; use for example ["cs", "stat.ML"]'),
    ("HOTPAPERS_TIMEZONE", "Mars/Olympus", "HOTPAPERS_TIMEZONE=Mars/Olympus: not a time zone"),
    ("HOTPAPERS_SLACK_MANAGERS", "alice,bob", "HOTPAPERS_SLACK_MANAGERS=alice,bob: not a list of "
     "Slack user or user group ids"),
    ("HOTPAPERS_COMMAND_LIMIT_USER", "lots", "HOTPAPERS_COMMAND_LIMIT_USER=lots: not a rate"),
    ("HOTPAPERS_DISCORD_SHARDS", "two", "HOTPAPERS_DISCORD_SHARDS=two: not a shard count; use "
     "auto or a whole number of at least 1, for example 4"),
    ("HOTPAPERS_DISCORD_SHARDS", "0", "HOTPAPERS_DISCORD_SHARDS=0: not a shard count"),
    ("HOTPAPERS_FLEET_TTL", "1", "HOTPAPERS_FLEET_TTL=1 must be longer than "
     "HOTPAPERS_FLEET_HEARTBEAT=5; use for example 20 and 5"),
]
COMMANDS = [
    ["status"],
    ["serve"],
    ["subscriptions"],
    ["subscribe", "slack:C0123456", "cs.LG"],
    ["unsubscribe", "slack:C0123456"],
    ["post", "--to", "console:-"],
    ["run", "--once"],
    ["digest", "2021-08-06", "--no-build"],
    ["export", "--date", "2021-08-06", "-f", "text"],
    ["build", "--date", "2021-08-06"],
]


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output and "pydantic" not in output, output
    return lines[0]


@pytest.mark.parametrize(("var", "value", "expected"), BAD, ids=[f"{v}={x}" for v, x, _ in BAD])
def test_a_wrong_setting_is_one_line_with_exit_code_2(
        monkeypatch: pytest.MonkeyPatch, var: str, value: str, expected: str) -> None:
    monkeypatch.setenv(var, value)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2, result.output
    assert one_line(result.output).startswith(f"error: {expected}")


@pytest.mark.parametrize("args", COMMANDS, ids=[a[0] for a in COMMANDS])
def test_every_command_reports_a_wrong_setting_in_one_line(
        monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setenv("HOTPAPERS_POST_TIME", "25:00")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert one_line(result.output).startswith("error: HOTPAPERS_POST_TIME=25:00: not a time")


def test_a_secret_setting_is_named_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://discord.com/api/webhooks/123/s3cr3t-t0ken-value"
    monkeypatch.setenv("HOTPAPERS_DISCORD_WEBHOOKS", json.dumps({"Bad Name": url}))
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    line = one_line(result.output)
    assert "HOTPAPERS_DISCORD_WEBHOOKS:" in line and "webhook names" in line
    assert "s3cr3t" not in result.output
    get_settings.cache_clear()
    monkeypatch.setenv("HOTPAPERS_DISCORD_WEBHOOKS", '{"lab": "not-a-url-s3cr3t"}')
    monkeypatch.setenv("DISCORD_WEBHOOK_URL", "https://example.org/nothing-s3cr3t")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2 and "s3cr3t" not in result.output
    assert "(and 1 more wrong settings)" in one_line(result.output)


def test_a_wrong_setting_in_hotpapers_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "hotpapers.toml").write_text('post_time = "noon"\n')  # the test's cwd
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert one_line(result.output) == ("error: post_time=noon in hotpapers.toml: not a time of "
                                       "day; use HH:MM, for example 09:00")


def test_a_wrong_redis_url_is_named_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTPAPERS_REDIS_URL", "http://:s3cr3t-pw@127.0.0.1:6379")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    line = one_line(result.output)
    assert line.startswith("error: HOTPAPERS_REDIS_URL") and "not a Redis URL" in line, line
    assert "redis://127.0.0.1:6379/0" in line and "s3cr3t" not in result.output
