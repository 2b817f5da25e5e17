"""What a secret looks like, and how one is kept out of every line we print or log.

`redact(text, secrets)` replaces each configured secret value and anything SHAPED like a
credential, even one we were never told about: Slack tokens (`xoxb-...`, `xapp-...`),
Discord bot tokens (three dot-separated base64 parts), the token part of a Discord
webhook URL (`.../webhooks/ID/TOKEN`, the id stays: it names the webhook) and the
password in a URL (`postgresql://user:PASSWORD@host`).

`RedactSecrets` is the logging filter that applies it to every record a handler emits
(the message, its arguments, and the traceback text); the CLI puts it on its log
handler, so no log line carries a secret whatever logged it (our code, slack_sdk,
discord.py, aiohttp).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

HIDDEN = "***"

# `https://discord.com/api/webhooks/123/TOKEN` (any host: proxies and fakes too).
WEBHOOK_URL = re.compile(
    r"^https?://[^\s/?#]+(?:/[^\s?#]*)?/webhooks/(?P<id>\d{1,20})/(?P<token>[A-Za-z0-9._-]+)/?"
    r"(?:\?[^\s#]*)?$"
)
SHAPES = (
    # Slack: bot, user, app-level, refresh, configuration tokens.
    re.compile(r"\bxox[a-z]-[A-Za-z0-9-]{4,}"),
    re.compile(r"\bxapp-[A-Za-z0-9-]{4,}"),
    # Discord bot token: base64(user id) . base64(timestamp) . HMAC.
    re.compile(r"\b[A-Za-z0-9_-]{20,30}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{25,45}\b"),
)
WEBHOOK_TOKEN = re.compile(r"(/webhooks/\d{1,20}/)[A-Za-z0-9._-]+")
URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+@", re.IGNORECASE)
MIN_SECRET = 4  # shorter configured values are not searched for (they'd match everywhere)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret in `secrets` and every credential-shaped string hidden."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    text = WEBHOOK_TOKEN.sub(rf"\g<1>{HIDDEN}", text)
    text = URL_PASSWORD.sub(rf"\g<1>{HIDDEN}@", text)
    for shape in SHAPES:
        text = shape.sub(HIDDEN, text)
    return text


def parse_webhook_url(url: str) -> tuple[str, str] | None:
    """(id, token) of a Discord webhook URL, None when `url` is not one."""
    m = WEBHOOK_URL.match(url.strip())
    return (m["id"], m["token"]) if m else None


class RedactSecrets(logging.Filter):
    """Rewrites each record so that no secret reaches the handler's output. `secrets`
    is asked on every record (the configured values, read once by the settings)."""

    def __init__(self, secrets: Callable[[], Iterable[str]] = tuple) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            known = tuple(self.secrets())
        except Exception:  # settings that don't load: the shapes still apply
            known = ()
        try:
            message = record.getMessage()
        except Exception:  # a malformed format string: keep what we have
            message = str(record.msg)
        record.msg, record.args = redact(message, known), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, known)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, known)
        return True


__all__ = ["HIDDEN", "WEBHOOK_URL", "RedactSecrets", "parse_webhook_url", "redact"]
