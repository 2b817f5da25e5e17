"""Hypothesis against Slack HTTP mode's `/slack/events`: random bytes, forms, JSON and
headers, signed or not. Never a 500, never a traceback (or any multi-line record) in the
log; unsigned requests are always 401."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.adapters.slack.test_commands import Served, make_settings, serve
from tests.adapters.slack.test_signatures import sign
from tests.fakes.slack_api import fake_slack

SLACK_KEYS = ["command", "text", "team_id", "channel_id", "user_id", "response_url",
              "trigger_id", "payload", "ssl_check", "type", "event", "token", "challenge"]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with fake_slack() as slack:
        settings_ = make_settings(slack, tmp_path, command_limit_user="1000/minute",
                                  command_limit_channel="1000/minute")
        async for s in serve(slack, settings_):
            yield s
            await asyncio.sleep(0.5)  # let answers in flight finish before the teardown


texts = st.text(max_size=80)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(SLACK_KEYS) | texts, inner, max_size=5), max_leaves=12)
forms = st.dictionaries(st.sampled_from(SLACK_KEYS) | texts, texts | json_values.map(json.dumps),
                        max_size=8).map(lambda d: urlencode(d).encode())
commands = st.builds(
    lambda text, extra: urlencode({"command": "/hot", "team_id": "T0001", "channel_id": "C9",
                                   "user_id": "U0USER", "text": text, **extra}).encode(),
    texts, st.dictionaries(st.sampled_from(SLACK_KEYS), texts, max_size=3))
events = st.builds(lambda event: json.dumps({"type": "event_callback", "event_id": "Ev1",
                                             "event": event}).encode(),
                   json_values)
bodies = st.binary(max_size=600) | forms | commands | events | json_values.map(
    lambda v: json.dumps(v).encode())
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=70)
content_types = st.sampled_from(["application/x-www-form-urlencoded", "application/json",
                                 "text/plain", "multipart/form-data", ""])


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, dict[str, str], bool]:
    body = draw(bodies)
    headers = {"Content-Type": draw(content_types)}
    how = draw(st.sampled_from(["signed", "unsigned", "garbage", "stale", "other body"]))
    if how == "signed":
        headers |= sign(body)
    elif how == "stale":
        headers |= sign(body, ts=str(int(time.time()) - 400))
    elif how == "other body":
        headers |= sign(body + b"x")
    elif how == "garbage":
        headers |= {"X-Slack-Request-Timestamp": draw(header_text),
                    "X-Slack-Signature": draw(header_text | st.just("v0=" + "a" * 64))}
    extra = draw(st.dictionaries(st.sampled_from(["X-Slack-Retry-Num", "X-Slack-Retry-Reason",
                                                  "X-Forwarded-For", "Content-Encoding"]),
                                 header_text, max_size=2))
    return body, headers | extra, how == "signed"


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=requests())
async def test_the_events_endpoint_never_fails_on_any_request(
        served: Served, records: Records, request: tuple[bytes, dict[str, str], bool]) -> None:
    body, headers, signed = request
    resp = await served.http.post(served.url + "/slack/events", data=body, headers=headers)
    await resp.read()
    assert resp.status < 500, (resp.status, body[:200], headers)
    if not signed:
        assert resp.status in (401, 413) or (
            "Content-Encoding" in headers and resp.status == 400), (resp.status, headers)
    for record in records.records:
        message = record.getMessage()
        assert record.exc_info is None and "Traceback" not in message, message
        assert record.levelno < logging.ERROR, message
