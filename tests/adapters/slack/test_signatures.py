"""Slack HTTP mode checks the signature on the raw bytes BEFORE anything is parsed
(issue 13: a non-UTF-8 body, truncated JSON, `payload=%7Bnotjson` or a timestamp `abc`,
unsigned, answered 500 with a traceback in the log). Unsigned, stale or malformed
signatures: 401; a malformed body with a valid signature: 400; over 1 MB: 413; a replay
does nothing twice. Never a traceback in the log."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.slack.helpers import SIGNING_SECRET, slash_body, until
from tests.adapters.slack.test_commands import Served, make_settings, serve
from tests.fakes.slack_api import fake_slack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with fake_slack() as slack:
        async for s in serve(slack, make_settings(slack, tmp_path)):
            yield s


def sign(body: bytes, ts: str | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={mac}"}


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage()
        assert "\n" not in record.getMessage(), record.getMessage()


BAD_BODIES = [
    (b"\xff\xfe\x00not utf-8", FORM),
    (b'{"type": "event_callback", "event": {', JSON),
    (b"payload=%7Bnotjson", FORM),
    (b"[1, 2, 3]", JSON),
    (b"payload=%5B1%5D", FORM),
]


@pytest.mark.parametrize(("body", "ctype"), BAD_BODIES, ids=[b[:12].decode("latin-1")
                                                            for b, _ in BAD_BODIES])
async def test_malformed_bodies_are_401_unsigned_and_400_signed(
        served: Served, caplog: pytest.LogCaptureFixture, body: bytes, ctype: str) -> None:
    caplog.set_level(logging.DEBUG)
    url = served.url + "/slack/events"
    resp = await served.http.post(url, data=body, headers={"Content-Type": ctype})
    assert resp.status == 401
    resp = await served.http.post(url, data=body, headers={"Content-Type": ctype,
                                                           **sign(b"something else")})
    assert resp.status == 401
    resp = await served.http.post(url, data=body, headers={"Content-Type": ctype, **sign(body)})
    assert resp.status == 400
    no_tracebacks(caplog)


@pytest.mark.parametrize("headers", [
    {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64},
    {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
    {"X-Slack-Request-Timestamp": "1" * 40, "X-Slack-Signature": "v0=" + "0" * 64},
    {"X-Slack-Request-Timestamp": "-5", "X-Slack-Signature": "v0=" + "0" * 64},
    {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=zz"},
    {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v1=" + "a" * 64},
    {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=é" * 20},
], ids=["ts abc", "empty", "ts huge", "ts negative", "sig short", "sig v1", "sig non-ascii"])
async def test_malformed_signature_headers_are_401(served: Served,
                                                   caplog: pytest.LogCaptureFixture,
                                                   headers: dict[str, str]) -> None:
    caplog.set_level(logging.DEBUG)
    body = slash_body("unsubscribe", served.slack.response_url())
    resp = await served.http.post(served.url + "/slack/events", data=body.encode(),
                                  headers={"Content-Type": FORM, **headers})
    assert resp.status == 401
    no_tracebacks(caplog)


async def test_a_body_over_1_mb_is_413(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = b"text=" + b"a" * (1024 * 1024 + 10)
    resp = await served.http.post(served.url + "/slack/events", data=body,
                                  headers={"Content-Type": FORM, **sign(body)})
    assert resp.status == 413
    no_tracebacks(caplog)


async def test_a_replayed_request_does_nothing_twice(served: Served) -> None:
    body = slash_body("2021-08-06 cs.CV", served.slack.response_url()).encode()
    headers = {"Content-Type": FORM, **sign(body)}
    first = await served.http.post(served.url + "/slack/events", data=body, headers=headers)
    assert first.status == 200
    await until(lambda: len(served.slack.thread("C123")) == 7)
    again = await served.http.post(served.url + "/slack/events", data=body, headers=headers)
    assert again.status == 200
    await asyncio.sleep(0.3)
    assert len(served.slack.thread("C123")) == 7 and served.slack.responses == []


async def test_a_signed_command_still_works(served: Served) -> None:
    body = slash_body("help", served.slack.response_url()).encode()
    resp = await served.http.post(served.url + "/slack/events", data=body,
                                  headers={"Content-Type": FORM, **sign(body)})
    assert resp.status == 200
    await until(lambda: len(served.slack.responses) == 1)
    assert "/hot subscribe" in served.slack.responses[0]["text"]


async def test_a_command_whose_text_says_payload_is_still_a_command(served: Served) -> None:
    """bolt reads any body containing "payload" as an interactivity payload; the gate's
    parse wins (`/hot subscriptions payload` would be a 404 otherwise)."""
    body = slash_body("subscriptions payload", served.slack.response_url()).encode()
    resp = await served.http.post(served.url + "/slack/events", data=body,
                                  headers={"Content-Type": FORM, **sign(body)})
    assert resp.status == 200
    await until(lambda: len(served.slack.responses) == 1)
    assert "no subscription" in served.slack.responses[0]["text"]
