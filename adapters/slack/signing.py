"""Slack HTTP mode's front door: a request is checked on its raw bytes BEFORE anything
parses it, then parsed strictly, and only then handed to slack-bolt.

1. The signature (`X-Slack-Signature: v0=` HMAC-SHA256 of `v0:{ts}:{body}` with
   SLACK_SIGNING_SECRET) and its timestamp (digits, within 5 minutes): anything
   unsigned, stale or malformed is 401. The HMAC is computed here on the raw bytes:
   slack_sdk's `SignatureVerifier` decodes the body as UTF-8 first and raises on any
   other bytes (and `int()`s the timestamp unchecked, and compares a non-ASCII
   signature with a TypeError), which is how a bad request became a 500.
2. Replays: a signature seen before (within the window) is answered 200 and does nothing.
3. The body must be UTF-8 and one of the shapes Slack sends (a slash command or
   `ssl_check` form, an Events API JSON object, an interactivity `payload` form holding
   a JSON object): otherwise 400, since it was signed, so Slack (or someone holding the
   secret) sent something this app doesn't handle.

Bodies over aiohttp's `client_max_size` (1 MB) are 413 before any of this. Every refusal
is one log line at INFO with the reason, never the body, and never a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from cachetools import TTLCache

log = logging.getLogger(__name__)

WINDOW = 300  # seconds a signed request is accepted (Slack's documented 5 minutes)
SIGNATURE = re.compile(r"^v0=[0-9a-f]{64}$")
TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
EVENT_TYPES = frozenset({"url_verification", "event_callback", "app_rate_limited"})


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class Checked:
    text: str  # the body, decoded
    body: dict[str, Any]  # parsed
    replay: bool = False


class SlackRequestGate:
    """Checks Slack requests (see the module docstring)."""

    def __init__(self, signing_secret: str, *, window: float = WINDOW,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = signing_secret.encode()
        self.window = window
        self.clock = clock
        self._seen: TTLCache[str, bool] = TTLCache(maxsize=100_000, ttl=2 * window + 60)

    def check(self, raw: bytes, headers: Mapping[str, str], content_type: str
              ) -> Checked | Refusal:
        ts = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        if not ts and not signature:
            return Refusal(401, "unsigned request")
        if not TIMESTAMP.match(ts) or not SIGNATURE.match(signature):
            return Refusal(401, "malformed signature headers")
        if abs(self.clock() - int(ts)) > self.window:
            return Refusal(401, "stale request (timestamp outside 5 minutes)")
        expected = hmac.new(self._key, b"v0:" + ts.encode() + b":" + raw, hashlib.sha256)
        if not hmac.compare_digest(f"v0={expected.hexdigest()}".encode(), signature.encode()):
            return Refusal(401, "bad signature")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(400, "signed body is not UTF-8")
        body = parse_slack_body(text, content_type)
        if isinstance(body, str):
            return Refusal(400, f"signed body is {body}")
        if signature in self._seen:
            return Checked(text, body, replay=True)
        self._seen[signature] = True
        return Checked(text, body)


def parse_slack_body(text: str, content_type: str) -> dict[str, Any] | str:
    """The body as Slack meant it, or (a str) why it is not one Slack sends: JSON when the
    type says so or it starts with `{` (the Events API), else a form, which is an
    interactivity `payload` (JSON) when it has that field, an `ssl_check`, or a slash
    command."""
    if not text:
        return "empty"
    if content_type == "application/json" or text.startswith("{"):
        data = _json_object(text)
        if data is None:
            return "not a JSON object"
        if data.get("type") not in EVENT_TYPES:
            return "not an Events API request"
        if data.get("type") == "event_callback" and not (
                isinstance(data.get("event"), dict)
                and isinstance(data["event"].get("type"), str)):
            return "an event without an event type"
        return data
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        payload = _json_object(form["payload"])
        if payload is None or not isinstance(payload.get("type"), str):
            return "a payload that is not a JSON object with a type"
        return payload
    if form.get("ssl_check") == "1":
        return form
    if not form.get("command") or not form.get("team_id"):
        return "not a slash command"
    return form


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
