"""`bot.redact`: configured secrets and anything shaped like a credential never reach a
log line, whoever logged it."""

from __future__ import annotations

import io
import logging

import pytest
from pydantic import SecretStr

from bot.redact import HIDDEN, RedactSecrets, redact
from bot.settings import Settings, secret_values

WEBHOOK = "https://discord.com/api/webhooks/112233445566778899/AbC-dEf_123.456xyzXYZ789"
DISCORD_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab"


@pytest.mark.parametrize(("text", "kept"), [
    ("token xoxb-1234-5678-AbCdEf", "token "),
    ("app token xapp-1-A0001-123-abc", "app token "),
    ("user token xoxp-99-88-77 here", " here"),
    (f"bot {DISCORD_TOKEN} there", "bot "),
    (f"POST {WEBHOOK}?wait=true failed", "/webhooks/112233445566778899/"),
    ("postgresql+asyncpg://bot:hunter2@db:5432/hp", "postgresql+asyncpg://bot:"),
])
def test_credential_shapes_are_hidden(text: str, kept: str) -> None:
    out = redact(text)
    assert HIDDEN in out and kept in out
    for secret in ("1234-5678", "A0001-123", "99-88-77", "GhIjKl", "AbC-dEf", "hunter2"):
        assert secret not in out


def test_configured_secrets_are_hidden_whatever_they_look_like() -> None:
    assert redact("signing secret is plain-words-here!", ["plain-words-here!"]) == \
        f"signing secret is {HIDDEN}"
    assert redact("abc is short", ["abc"]) == "abc is short"  # too short to search for


def test_secret_values_lists_every_secret_setting() -> None:
    settings = Settings(slack_bot_token="xoxb-a1", slack_signing_secret="sign-me",
                        discord_webhooks={"lab": SecretStr(WEBHOOK)},
                        x_bearer_token="bearer-b2",
                        database_url="postgresql+asyncpg://u:pw-c3@host/db",
                        redis_url="redis://:pw-d4@127.0.0.1:6379/0")
    assert set(secret_values(settings)) == {"xoxb-a1", "sign-me", WEBHOOK, "bearer-b2", "pw-c3",
                                            "redis://:pw-d4@127.0.0.1:6379/0"}


def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(lambda: ["sekrit-value"]))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("posting with %s to %s", "sekrit-value", WEBHOOK)
        try:
            raise RuntimeError(f"failed with token {DISCORD_TOKEN} and sekrit-value")
        except RuntimeError:
            logger.exception("it broke")
        logging.getLogger("test.redact.child").error("xoxb-1-2-3 from a child logger")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "sekrit-value" not in out and "AbC-dEf" not in out and "GhIjKl" not in out
    assert "xoxb-1-2-3" not in out and "RuntimeError" in out and out.count(HIDDEN) >= 5
