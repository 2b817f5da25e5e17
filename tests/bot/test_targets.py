"""`parse_target`: the one check of a channel target for subscribe, unsubscribe, post and
chat: a known platform and a well-formed id for it, or one line saying what one looks
like. A webhook URL is accepted where it can be used (posting now) and never echoed."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.chat import Target, parse_target
from bot.errors import UsageError
from bot.settings import Settings

URL = "https://discord.com/api/webhooks/112233445566778899/S3CRET-token_value.x"


@pytest.mark.parametrize(("text", "platform", "channel"), [
    ("slack:C0123456", "slack", "C0123456"),
    ("Slack: G0PRIVATE ", "slack", "G0PRIVATE"),
    ("discord:123456789012345678", "discord", "123456789012345678"),
    ("webhook:default", "webhook", "default"),
    ("webhook:lab", "webhook", "lab"),
    ("console:-", "console", "-"),
])
def test_good_targets(text: str, platform: str, channel: str) -> None:
    target = parse_target(text)
    assert (target.platform, target.channel) == (platform, channel)
    assert str(target) == f"{platform}:{channel}"


@pytest.mark.parametrize(("text", "hint"), [
    ("slack", "platform:channel"),
    ("notaplatform:1", "unknown platform 'notaplatform'; use one of slack, discord, webhook"),
    ("discord:abc", "not a Discord channel id; use the number from Copy Channel ID"),
    ("discord:-5", "not a Discord channel id"),
    ("discord:123456789012345678901", "not a Discord channel id"),
    ("slack:C1 C2", "not a Slack channel id"),
    ("slack:#general", "not a Slack channel id; use the channel ID"),
    ("slack:c0123456", "not a Slack channel id"),
    ("webhook:Lab Team", "not a webhook name"),
    ("console:a b", "not a console channel"),
])
def test_bad_targets_get_one_line_saying_what_a_good_one_looks_like(text: str, hint: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_target(text)
    message = str(caught.value)
    assert hint in message and "\n" not in message and "for example" in message


def test_a_webhook_url_is_used_by_id_and_never_shown() -> None:
    target = parse_target(f"webhook:{URL}")
    assert target == Target("webhook", "112233445566778899")
    assert target.webhook_url == URL
    assert "S3CRET" not in str(target) and "S3CRET" not in repr(target)


def test_a_webhook_url_is_refused_where_it_would_be_stored() -> None:
    with pytest.raises(UsageError) as caught:
        parse_target(f"webhook:{URL}", allow_url=False)
    assert "HOTPAPERS_DISCORD_WEBHOOKS" in str(caught.value)
    assert "S3CRET" not in str(caught.value)


@pytest.mark.parametrize("text", [f"slack:{URL}", f"discord:{URL}", URL, f"fax:{URL}",
                                  "slack:xoxb-1234-5678-abcdefSECRET"])
def test_a_secret_typed_in_the_wrong_place_is_not_echoed(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_target(text)
    assert "S3CRET" not in str(caught.value) and "SECRET" not in str(caught.value)


def test_webhook_names_must_be_configured_when_settings_are_given() -> None:
    settings = Settings(discord_webhooks={"lab": SecretStr(URL)})
    assert parse_target("webhook:lab", settings).channel == "lab"
    with pytest.raises(UsageError, match=r"webhook:team is not configured \(configured: lab\)"):
        parse_target("webhook:team", settings)
    with pytest.raises(UsageError, match="DISCORD_WEBHOOK_URL is not set"):
        parse_target("webhook:default", settings)
    configured = Settings(discord_webhook_url=SecretStr(URL))
    assert parse_target("webhook:default", configured).channel == "default"
    # the id of a configured webhook names it too (the ledger keeps ids of URL posts)
    assert parse_target("webhook:112233445566778899", settings).channel == "112233445566778899"
