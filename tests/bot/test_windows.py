"""Weeks, months and spans of days, computed from the stored days, checked against an
independent computation from the blog's archive (read with a regex, not the importer):
ISO week 31 of 2021 (2021-08-02 .. 08-06), July 2021, and week 42 of 2020, where one paper
is listed on two days and must count once, with its best day."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.archive.importer import import_paths
from bot.cli import app
from bot.core import Core
from bot.dates import iso_week, month, parse_window, previous_month, previous_week
from bot.errors import BadDateError, UsageError
from bot.lookup import window_for
from bot.models import Command
from bot.settings import Settings
from bot.store import Store
from bot.windows import window_digest
from tests import factories

ENTRY = re.compile(r"^# \d+\. ", re.M)
COUNTS = re.compile(r"^- retweets: (\d+), favorites: (\d+)", re.M)
ABS = re.compile(r"\[abs\]\(https?://arxiv\.org/abs/([^)\s]+)\)")
runner = CliRunner()


def independent_window(archive: Path, start: dt.date, end: dt.date, top: int = 30
                       ) -> list[tuple[str, int, str]]:
    """(arXiv id, score, best day) of the window's top papers, from the post files."""
    best: dict[str, tuple[int, str]] = {}
    for post in sorted(archive.glob("*---Hot-Papers.md")):
        day = post.name[:10]
        if not start.isoformat() <= day <= end.isoformat():
            continue
        for part in ENTRY.split(post.read_text("utf-8"))[1:]:
            counts, link = COUNTS.search(part), ABS.search(part)
            assert counts and link
            score = int(counts[1]) + int(counts[2])
            if link[1] not in best or score > best[link[1]][0]:
                best[link[1]] = (score, day)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
    return [(i, s, d) for i, (s, d) in ranked]


def posts_between(archive: Path, start: str, end: str) -> list[Path]:
    return [p for p in sorted(archive.glob("*---Hot-Papers.md")) if start <= p.name[:10] <= end]


@pytest.fixture
async def archive_store(archive_dir: Path, sqlite_store: Store) -> Store:
    files = posts_between(archive_dir, "2021-06-28", "2021-08-06")
    files += posts_between(archive_dir, "2020-10-12", "2020-10-16")
    report = await import_paths(sqlite_store, files)
    assert report.ok and len(report.imported) == len(files)
    return sqlite_store


@pytest.mark.parametrize(("word", "start", "end", "days"), [
    ("2021-W31", dt.date(2021, 8, 2), dt.date(2021, 8, 6), 5),
    ("2021-07", dt.date(2021, 7, 1), dt.date(2021, 7, 30), 21),
    ("2020-W42", dt.date(2020, 10, 12), dt.date(2020, 10, 16), 5),
])
async def test_windows_match_an_independent_computation_from_the_archive(
    archive_store: Store, archive_dir: Path, word: str, start: dt.date, end: dt.date,
    days: int,
) -> None:
    window = parse_window(word)
    assert (window.start, window.end) == (start, end)
    digest, notes = await window_for(archive_store, Settings(), window)
    want = independent_window(archive_dir, start, end)
    got = [(p.paper.arxiv_id, p.score, str(p.listed_on)) for p in digest.papers]
    assert got == want
    assert [p.rank for p in digest.papers] == list(range(1, 31))
    assert digest.window == window and digest.key == word
    assert f"{days} stored days, {start} to" in notes[0]


async def test_a_paper_listed_on_two_days_counts_once_with_its_best_day(
    archive_store: Store,
) -> None:
    twice = "2010.04296"  # listed on 2020-10-12 and 2020-10-13
    d12 = await archive_store.get_digest(dt.date(2020, 10, 12))
    d13 = await archive_store.get_digest(dt.date(2020, 10, 13))
    assert d12 and d13
    scores = {d.date: next(p.score for p in d.papers if p.paper.arxiv_id == twice)
              for d in (d12, d13)}
    digest, _ = await window_for(archive_store, Settings(), iso_week(2020, 42))
    listed = [p for p in digest.papers if p.paper.arxiv_id == twice]
    assert len(listed) == 1
    assert listed[0].score == max(scores.values())
    assert listed[0].listed_on == max(scores, key=lambda d: (scores[d], -d.toordinal()))
    # the window of two days alone: the sum of the days would be another score
    two = window_digest([d12, d13], parse_window("2020-10-12..2020-10-13"))
    assert sum(1 for p in two.papers if p.paper.arxiv_id == twice) == 1


async def test_a_month_notes_the_weekdays_without_a_digest(archive_store: Store) -> None:
    _, notes = await window_for(archive_store, Settings(), month(2021, 7))
    assert notes[1] == "no digest stored for 2021-07-23 (no announcement, or not built)"
    with pytest.raises(UsageError, match="No digest is stored for any day of July 2020"):
        await window_for(archive_store, Settings(), month(2020, 7))


def test_the_cli_prints_a_window_as_json(archive_dir: Path) -> None:
    files = [str(p) for p in posts_between(archive_dir, "2021-08-02", "2021-08-06")]
    assert runner.invoke(app, ["import", *files]).exit_code == 0
    r = runner.invoke(app, ["digest", "2021-W31", "-f", "json", "--no-build"])
    assert r.exit_code == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["window"] == {"from": "2021-08-02", "to": "2021-08-06", "kind": "week",
                              "key": "2021-W31", "days": [f"2021-08-0{i}" for i in range(2, 7)]}
    assert "date" not in data
    want = independent_window(archive_dir, dt.date(2021, 8, 2), dt.date(2021, 8, 6))
    assert [(p["arxiv_id"], p["score"], p["listed_on"]) for p in data["papers"]] == want
    same = runner.invoke(app, ["digest", "--from", "2021-08-02", "--to", "2021-08-06", "-f",
                               "json", "--top", "5"])
    assert same.exit_code == 0, same.stderr
    ranged = json.loads(same.stdout)
    assert ranged["window"]["key"] == "2021-08-02..2021-08-06"
    assert [p["arxiv_id"] for p in ranged["papers"]] == [i for i, _, _ in want[:5]]
    week = runner.invoke(app, ["digest", "week"])  # the week of the latest stored day
    assert week.exit_code == 0 and "Hot Papers of the week 2021-W31" in week.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["2021-W54"], "2021 has no ISO week 54 (its weeks are 1 to 52)"),
    (["2021-13"], "'2021-13' is not a month"),
    (["--from", "2021-08-06", "--to", "2021-08-02"], "ends (2021-08-02) before it starts"),
    (["--from", "2021-08-06"], "give both --from and --to"),
    (["2021-08-06", "--from", "2021-08-02", "--to", "2021-08-06"], "not both"),
    (["2099-W01"], "has not started"),
])
def test_bad_windows_are_one_line(args: list[str], message: str) -> None:
    r = runner.invoke(app, ["digest", *args])
    assert r.exit_code == 2, r.stdout
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_previous_week_and_month() -> None:
    assert previous_week(dt.date(2021, 8, 9)) == iso_week(2021, 31)  # a Monday
    assert previous_week(dt.date(2021, 8, 15)) == iso_week(2021, 31)  # a Sunday
    assert previous_month(dt.date(2021, 8, 2)) == month(2021, 7)
    assert previous_month(dt.date(2021, 1, 4)) == month(2020, 12)
    assert month(2021, 5).start == dt.date(2021, 5, 3)  # May 1st 2021 was a Saturday
    with pytest.raises(BadDateError, match="no digest is stored yet"):
        parse_window("week", None)


async def test_chat_asks_for_windows(sqlite_store: Store) -> None:
    for day in (2, 3, 4, 5, 6, 9):
        await sqlite_store.save_digest(factories.digest(dt.date(2021, 8, day)))
    core = Core(Settings(), sqlite_store)

    async def hot(text: str) -> tuple[str, int]:
        a = await core.answer(Command("hot", tuple(text.split()), "slack", "C1",
                                          can_manage_channel=True))
        return (a.digest.heading if a.digest else a.text), len(a.digest.papers) if a.digest else 0

    assert await hot("2021-W31") == ("Hot Papers of the week 2021-W31", 5)
    assert await hot("week") == ("Hot Papers of the week 2021-W32", 5)  # of 2021-08-09
    assert await hot("month") == ("Hot Papers of August 2021", 5)
    assert await hot("2021-W31 cs.CL") == ("Hot Papers of the week 2021-W31", 1)
    text, _ = await hot("2021-W31 2021-08-06")
    assert text.startswith("Two dates")
