"""Who may change a Slack channel's daily post (issue 13: any member could unsubscribe a
channel or set `min:99999`). Allowed: workspace owners and admins (`users.info`), the
channel's creator (`conversations.info`), the users and user groups of
HOTPAPERS_SLACK_MANAGERS; everyone else gets one ephemeral line naming who may; when Slack
can't be asked, nothing changes and the answer says why. Real slack-bolt app over signed
HTTP, the real core, the fake Slack Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import Subscription
from tests.adapters.slack.helpers import until
from tests.adapters.slack.test_commands import Served, make_settings, serve
from tests.fakes.slack_api import ADMIN, CREATOR, MEMBER, OWNER, fake_slack

CHANNEL = "C0PAPERS"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with fake_slack() as slack:
        settings = make_settings(slack, tmp_path, slack_managers=("U0LEAD", "S0READERS"))
        slack.users |= {"U0LEAD": {}, "U0READER": {}}
        slack.usergroups["S0READERS"] = ["U0READER"]
        async for s in serve(slack, settings):
            await s.core.store.save_subscription(Subscription("slack", CHANNEL,
                                                              categories=("cs.LG",)))
            yield s


async def answer(served: Served, text: str, user: str, *, one_line: bool = True) -> str:
    before = len(served.slack.responses)
    await served.hot_ok(text, channel=CHANNEL, user=user)
    await until(lambda: len(served.slack.responses) > before)
    reply = served.slack.responses[before]
    assert reply["response_type"] == "ephemeral"
    assert "\n" not in reply["text"].strip() or not one_line
    return str(reply["text"])


async def categories(served: Served) -> tuple[str, ...] | None:
    sub = await served.core.store.get_subscription("slack", CHANNEL)
    return sub.categories if sub else None


async def test_an_ordinary_member_cannot_change_or_stop_the_channel(served: Served) -> None:
    for text in ("unsubscribe", "subscribe cs.CV min:99999", "unsubscribe cs.LG"):
        reply = await answer(served, text, MEMBER)
        assert "workspace owners and admins" in reply and f"<@{CREATOR}>" in reply, reply
        assert "<@U0LEAD>" in reply and "<!subteam^S0READERS>" in reply
    assert await categories(served) == ("cs.LG",)
    sub = await served.core.store.get_subscription("slack", CHANNEL)
    assert sub is not None and sub.min_score == 0
    # looking is for everyone
    assert "cs.LG" in await answer(served, "subscriptions", MEMBER)


@pytest.mark.parametrize("user", [ADMIN, OWNER, CREATOR, "U0LEAD", "U0READER"],
                         ids=["admin", "owner", "creator", "listed user", "listed group"])
async def test_owners_admins_the_creator_and_listed_managers_may(served: Served,
                                                                 user: str) -> None:
    reply = await answer(served, "subscribe cs.CV", user)
    assert "now gets" in reply, reply
    assert await categories(served) == ("cs.LG", "cs.CV")
    reply = await answer(served, "unsubscribe", user)
    assert "no longer" in reply
    assert await categories(served) is None


async def test_a_mention_is_checked_too(served: Served) -> None:
    import json
    import time

    from tests.adapters.slack.helpers import signed

    body = json.dumps({
        "token": "legacy", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
        "event_id": "EvPERM1", "event_time": int(time.time()),
        "event": {"type": "app_mention", "user": MEMBER, "text": "<@U0BOT> unsubscribe",
                  "ts": "1.000001", "channel": CHANNEL, "event_ts": "1.000001"},
        "authorizations": [{"team_id": "T0001", "user_id": "U0BOT", "is_bot": True}]})
    resp = await served.http.post(served.url + "/slack/events", data=body,
                                  headers=signed(body, content_type="application/json"))
    assert resp.status == 200
    await until(lambda: len(served.slack.ephemeral) == 1)
    assert "workspace owners and admins" in served.slack.ephemeral[0]["text"]
    assert await categories(served) == ("cs.LG",)


@pytest.mark.parametrize(("error", "status", "why"), [
    ("missing_scope", 200, "missing_scope"),
    ("internal_error", 500, "HTTP 500"),
])
async def test_when_slack_cant_be_asked_nothing_changes_and_the_answer_says_why(
        served: Served, monkeypatch: pytest.MonkeyPatch, error: str, status: int,
        why: str) -> None:
    monkeypatch.setattr("adapters.slack.client.READ_RETRY",
                        __import__("bot.retry", fromlist=["RetryPolicy"]).RetryPolicy(
                            attempts=2, backoff=0.01, jitter=False))
    served.slack.fail_next("users.info", error, status=status, times=5)
    reply = await answer(served, "unsubscribe", ADMIN)
    assert "couldn't ask Slack" in reply and why in reply and "nothing was changed" in reply
    assert await categories(served) == ("cs.LG",)


async def test_answers_are_cached_briefly_and_other_commands_ask_nothing(
        served: Served) -> None:
    await answer(served, "subscribe cs.CV", ADMIN)
    await answer(served, "subscribe cs.CL", ADMIN)
    assert served.slack.count("users.info") == 1  # the second answer came from the cache
    await answer(served, "help", MEMBER, one_line=False)
    await answer(served, "subscriptions", MEMBER)
    assert served.slack.count("users.info") == 1
    assert served.slack.count("conversations.info") == 0  # admins need no channel lookup
