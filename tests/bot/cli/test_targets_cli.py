"""Targets are checked the same way by subscribe, unsubscribe and post (issue 13:
`subscribe` took `notaplatform:1`, `discord:abc` and `"slack:C1 C2"` with exit 0)."""

from __future__ import annotations

import asyncio
import os

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.models import Subscription
from bot.store import Store

runner = CliRunner()
BAD = [("notaplatform:1", "unknown platform 'notaplatform'"),
       ("discord:abc", "'abc' is not a Discord channel id"),
       ("slack:C1 C2", "'C1 C2' is not a Slack channel id"),
       ("webhook:nothere", "webhook:nothere is not configured")]


def one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    assert "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize(("target", "hint"), BAD, ids=[t for t, _ in BAD])
@pytest.mark.parametrize("command", [["subscribe"], ["unsubscribe"], ["post", "--to"]],
                         ids=["subscribe", "unsubscribe", "post"])
def test_bad_targets_are_refused_alike_everywhere(command: list[str], target: str,
                                                  hint: str) -> None:
    result = runner.invoke(app, [*command, target])
    assert result.exit_code == 2, result.output
    assert hint in one_line_error(result.output)
    r = runner.invoke(app, ["subscriptions"])
    assert "No channel subscribed yet" in r.output


def test_subscribe_refuses_a_webhook_url_without_echoing_it() -> None:
    url = "https://discord.com/api/webhooks/112233445566778899/S3CRET-token"
    result = runner.invoke(app, ["subscribe", f"webhook:{url}"])
    assert result.exit_code == 2
    assert "HOTPAPERS_DISCORD_WEBHOOKS" in one_line_error(result.output)
    assert "S3CRET" not in result.output


def test_a_stored_target_from_before_the_check_can_still_be_removed() -> None:
    async def seed() -> None:
        store = await Store.open(os.environ["HOTPAPERS_DATABASE_URL"])
        await store.save_subscription(Subscription("discord", "abc"))
        await store.close()

    asyncio.run(seed())
    result = runner.invoke(app, ["unsubscribe", "discord:abc"])
    assert result.exit_code == 0, result.output
    assert "no longer" in result.output
