"""The outside world of the system test (tests/system/test_worker.py): a fake arXiv day
and Hacker News posts about it, for the date the worker will build when started now.

The worker posts, on run day R (local date of HOTPAPERS_TIMEZONE), the digest of R - 1
(`Scheduler.digest_date`); arXiv has no listing dated Sat/Sun. So the test picks a time
zone in which "yesterday" is a weekday whose mention window has already opened (`plan`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.arxiv.days import announced_at, submission_window
from bot.models import Paper
from tests.fakes.arxiv_server import FakeArxivPaper
from tests.fakes.social_corpus import Corpus, FakePost

# UTC first; then whole-hour zones (IANA's Etc/GMT+N is N hours WEST of Greenwich).
ZONES = ("UTC", *(f"Etc/GMT+{h}" for h in range(1, 13)), *(f"Etc/GMT-{h}" for h in range(1, 15)))


@dataclass(frozen=True)
class Plan:
    """How to start the worker so that it builds `date`: in time zone `zone`, with the
    run day `last_day` already handled (None: a first start)."""

    zone: str
    date: dt.date
    last_day: dt.date | None = None


def plan(now: dt.datetime) -> Plan:
    """A first start (HOTPAPERS_POST_TIME=00:00 makes today's post due; it builds the
    day before the local date) in the first zone where that day is a weekday announced
    at least 2 hours ago. From Sunday afternoon to Monday morning UTC no zone has one:
    then the worker is made to catch up after downtime instead, with the last handled
    run day (`schedule.last_day`) = the last weekday D; run day D + 1 posts the digest
    of D, the later run days are weekend digests (no announcement, nothing posted)."""
    for name in ZONES:
        date = now.astimezone(ZoneInfo(name)).date() - dt.timedelta(days=1)
        if date.weekday() < 5 and announced_at(date) < now - dt.timedelta(hours=2):
            return Plan(name, date)
    date = now.astimezone(dt.UTC).date() - dt.timedelta(days=1)
    while date.weekday() >= 5:
        date -= dt.timedelta(days=1)
    return Plan("UTC", date, last_day=date)


def due_now_env(how: Plan, arxiv_url: str, social_url: Callable[[str], str]) -> dict[str, str]:
    """A worker's settings for `how`: its post due at start, arXiv and the social sources
    at the fakes (arXiv unpaced)."""
    return {
        "HOTPAPERS_POST_TIME": "00:00", "HOTPAPERS_TIMEZONE": how.zone,
        "HOTPAPERS_ARXIV_API_URL": arxiv_url + "/api/query",
        "HOTPAPERS_ARXIV_RSS_URL": arxiv_url + "/rss/",
        "HOTPAPERS_ARXIV_OAI_URL": arxiv_url + "/oai",
        "HOTPAPERS_ARXIV_MIN_INTERVAL": "0",
        "HOTPAPERS_HN_URL": social_url("hn"), "HOTPAPERS_HF_URL": social_url("hf"),
        "HOTPAPERS_BLUESKY_URL": social_url("bluesky"), "HOTPAPERS_X_URL": social_url("x"),
    }


@dataclass(frozen=True)
class HotSpec:
    title: str
    categories: tuple[str, ...]
    points: int  # the Hacker News points of the one post linking it


# Ranked by score: 300, 200, 120 are listed (>= 50); 30 is not.
SPECS = (
    HotSpec("Diffusion models that learn fast", ("cs.LG", "cs.CV"), 300),
    HotSpec("Robots that see in the dark", ("cs.CV", "cs.RO"), 200),
    HotSpec("A kernel view of transformers", ("stat.ML", "cs.LG"), 120),
    HotSpec("A lukewarm result", ("cs.LG",), 30),
)
QUIET = 6  # listed papers nobody talks about


def arxiv_day(date: dt.date) -> list[FakeArxivPaper]:
    """The listing of `date`: the `SPECS` papers and `QUIET` others, all new
    submissions inside the day's submission window."""
    start, end = submission_window(date)
    yymm = date.strftime("%y%m")
    out = []
    for i in range(len(SPECS) + QUIET):
        spec = SPECS[i] if i < len(SPECS) else HotSpec(f"Quiet paper {i}", ("cs.SE",), 0)
        paper = Paper(arxiv_id=f"{yymm}.{20001 + i:05d}", title=spec.title,
                      authors=(f"Ada Author{i}", f"Bo Writer{i}"), categories=spec.categories,
                      abstract=f"We study problem {i} carefully. " * 3)
        submitted = start + (end - start) * (i + 1) / (len(SPECS) + QUIET + 2)
        out.append(FakeArxivPaper(paper, submitted.astimezone(dt.UTC), date, "new"))
    return out


def hn_corpus(date: dt.date, papers: list[FakeArxivPaper]) -> Corpus:
    """One Hacker News story per `SPECS` paper, posted in the first hour after the
    announcement (inside the mention window)."""
    corpus = Corpus()
    start = announced_at(date).astimezone(dt.UTC)
    for i, spec in enumerate(SPECS):
        arxiv_id = papers[i].paper.arxiv_id
        corpus.add(FakePost(
            source="hn", post_id=str(40_000_000 + i),
            created=(start + dt.timedelta(minutes=10 * (i + 1))).replace(microsecond=0),
            author=f"hacker{i}", text=spec.title,
            links=(f"https://arxiv.org/abs/{arxiv_id}",), arxiv_ids=(arxiv_id,),
            likes=spec.points, comments=i))
    return corpus


def expected_titles(categories: set[str] | None = None) -> list[str]:
    """The hot papers in rank order (only those in `categories`, when given)."""
    listed = sorted((s for s in SPECS if s.points >= 50), key=lambda s: -s.points)
    return [s.title for s in listed if categories is None or categories & set(s.categories)]
