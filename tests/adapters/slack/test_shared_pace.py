"""Slack's limits shared by the whole process and, with Redis, by every worker: one
pace per channel whatever the adapters (the daily post, /hot answers), counted across
workers through HOTPAPERS_REDIS_URL, and each workspace's method tiers kept apart. The
real slack_sdk client against the fake Slack, which answers 429 when a channel's
messages come faster than its rate."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid

import pytest
from pydantic import SecretStr

from adapters.slack import pacing
from adapters.slack.client import make_client
from adapters.slack.pacing import ChannelPacer, channel_rate
from adapters.slack.permissions import SlackManagers
from adapters.slack.post import SlackChatAdapter
from bot.ratelimit import Rate
from bot.settings import Settings
from tests.adapters.slack.helpers import sample_digest
from tests.fakes.slack_api import ADMIN, OWNER, FakeSlack, fake_slack


def adapter(slack: FakeSlack, token: str, rate: float, **kw: object) -> SlackChatAdapter:
    settings = Settings(slack_api_url=slack.url)
    return SlackChatAdapter(make_client(settings, token), per_channel_rate=rate,
                            **kw)  # type: ignore[arg-type]


async def post_some(a: SlackChatAdapter, channel: str, n: int, prefix: str) -> None:
    digest = sample_digest(n)
    parent = await a.send_parent(channel, digest, key=f"{prefix}:0")
    for p in digest.papers[: n - 1]:
        await a.send_paper(channel, parent, digest, p, key=f"{prefix}:{p.rank}")


@pytest.mark.parametrize("one_pacer", [True, False], ids=["process-pacer", "own-pacers"])
async def test_adapters_of_one_process_keep_one_pace_per_channel(one_pacer: bool) -> None:
    """Two adapters (as the daily poster and a /hot answer) posting to one channel at
    once: with the process's one pacer, no 429; each with its own (as before), 429s."""
    async with fake_slack(rate_per_channel=10, retry_after=0) as slack:
        token = f"xoxb-{uuid.uuid4().hex}"
        slack.tokens.add(token)
        extra: dict[str, object] = {} if one_pacer else {"pacer": ChannelPacer()}
        extra2: dict[str, object] = {} if one_pacer else {"pacer": ChannelPacer()}
        await asyncio.gather(post_some(adapter(slack, token, 10, **extra), "C1", 3, "a"),
                             post_some(adapter(slack, token, 10, **extra2), "C1", 3, "b"))
        assert len(slack.thread("C1")) == 6
        refused = slack.count("chat.postMessage", 429)
        assert refused == 0 if one_pacer else refused > 0


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.slow
async def test_workers_share_a_channel_s_pace_through_redis() -> None:
    """Two workers (each its own pacer, as in two processes) posting to one channel at
    Slack's real 1 message/s: through Redis no 429."""
    if not _redis_up():
        pytest.skip("no Redis server on 127.0.0.1:6379")
    redis = SecretStr("redis://127.0.0.1:6379/0")
    async with fake_slack(rate_per_channel=1.0, retry_after=0) as slack:
        token = f"xoxb-{uuid.uuid4().hex}"  # its own keys in Redis
        slack.tokens.add(token)
        workers = [adapter(slack, token, 1.0, pacer=ChannelPacer(), redis_url=redis)
                   for _ in range(2)]
        started = time.monotonic()
        await asyncio.gather(*(post_some(w, "C2", 2, f"w{i}") for i, w in enumerate(workers)))
        assert len(slack.thread("C2")) == 4
        assert slack.count("chat.postMessage", 429) == 0
        assert time.monotonic() - started >= 2.9  # 4 messages, 1 s apart


def test_a_channel_rate_in_whole_seconds() -> None:
    assert channel_rate(1.0) == Rate(1, 1, contended=False)
    assert channel_rate(0.5) == Rate(2, 1, contended=False)
    assert channel_rate(2.5) == Rate(1, 3, contended=False)


async def test_each_workspace_s_method_tier_is_counted_apart(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """users.info at (scaled) 2 a second: a third question in one workspace waits for
    its second; the same questions in another workspace, asked at once, do not."""
    monkeypatch.setitem(pacing.METHOD_TIERS, "users.info", Rate(2, 1))
    async with fake_slack() as slack:
        token = f"xoxb-{uuid.uuid4().hex}"
        slack.tokens.add(token)
        slack.users |= {f"U0A{i}": {} for i in range(3)}
        client = make_client(Settings(slack_api_url=slack.url), token)
        managers = SlackManagers((), ttl=0.001)
        done: dict[str, list[float]] = {"T1": [], "T2": []}
        started = time.monotonic()

        async def ask(team: str, user: str) -> None:
            await managers.check(client, team, "C0PAPERS", user)
            done[team].append(time.monotonic() - started)

        await asyncio.gather(*(ask(team, user) for team in ("T1", "T2")
                               for user in (ADMIN, OWNER, "U0A1")))
        assert max(done["T1"]) >= 0.9 and max(done["T2"]) >= 0.9  # each: 3 at 2/s
        assert sorted(done["T1"])[1] < 0.5 and sorted(done["T2"])[1] < 0.5
        assert slack.count("users.info") == 6
