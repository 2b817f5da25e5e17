"""Helpers for the Slack tests: synthetic digests, signed HTTP requests to the `serve`
app, and waiting for the fake Slack to see something."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
from collections.abc import Callable
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.models import Digest, Mention, Paper, RankedPaper

DATE = dt.date(2021, 8, 6)
CATEGORIES = (("cs.CV", "cs.LG"), ("cs.LG", "econ.GN"), ("cs.CL",), ("stat.ML", "cs.LG"))
SIGNING_SECRET = "test-signing-secret"
_triggers = itertools.count(1)


def ranked(rank: int, *, abstract_words: int = 120, title: str | None = None) -> RankedPaper:
    arxiv_id = f"2108.{2000 + rank:05d}"
    paper = Paper(
        arxiv_id=arxiv_id,
        title=title or f"Paper number {rank} about <things> & stuff",
        authors=tuple(f"Author {rank}-{i}" for i in range(3)),
        categories=CATEGORIES[rank % len(CATEGORIES)],
        abstract=" ".join(f"word{i}" for i in range(abstract_words)),
    )
    score = 1000 - rank
    mention = Mention(source="x", url=f"https://twitter.com/ak/status/{rank}",
                      arxiv_ids=(arxiv_id,), author_name="AK", author_handle="ak92501",
                      text=f"Paper {rank} is great", reposts=score - 100, likes=100)
    return RankedPaper(rank=rank, paper=paper, score=score, reposts=score - 100, likes=100,
                       mentions=(mention,))


def sample_digest(n: int, **kw: object) -> Digest:
    papers = tuple(ranked(i) for i in range(1, n + 1))
    return Digest(date=DATE, papers=papers,
                  counted_at=dt.datetime(2021, 8, 7, 17, 48, tzinfo=dt.UTC),
                  sources=("x",), **kw)  # type: ignore[arg-type]


def signed(body: str, *, secret: str = SIGNING_SECRET, age: float = 0.0,
           content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Headers Slack sends: `v0=` HMAC-SHA256 of `v0:{ts}:{body}`."""
    ts = str(int(time.time() - age))
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(sig),
            "Content-Type": content_type}


def slash_body(text: str, response_url: str, *, channel: str = "C123",
               team: str = "T0001", user: str = "U0USER") -> str:
    return urlencode({
        "token": "legacy", "team_id": team, "team_domain": "fake", "channel_id": channel,
        "channel_name": "papers", "user_id": user, "user_name": "ada", "command": "/hot",
        "text": text, "api_app_id": "A0001", "response_url": response_url,
        "trigger_id": f"trigger.{next(_triggers)}.{time.time_ns()}",
    })


async def until(check: Callable[[], bool], wait: float = 30.0) -> None:
    """Wait until `check()` holds (the work after an ack runs in the background)."""
    deadline = time.monotonic() + wait
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the fake Slack")
        await asyncio.sleep(0.02)
