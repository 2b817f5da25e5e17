"""The arXiv calendar: when the listing dated D was announced, which listing the RSS
feed shows at a moment, which submissions a listing holds, and which categories a
listing spec such as ("cs", "stat.ML") covers. Pure functions, no I/O.

The listing dated D is announced at 20:00 US Eastern the evening before (Sun-Thu
evenings, so D is Mon-Fri); it holds the submissions between the 14:00 ET cut-offs of
the two weekdays before D.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from bot.arxiv.taxonomy import taxonomy
from bot.errors import NoAnnouncement
from bot.models import Paper

EASTERN = ZoneInfo("America/New_York")
ANNOUNCE_TIME = dt.time(20, 0)
CUTOFF_TIME = dt.time(14, 0)


def check_announcement_day(date: dt.date) -> None:
    """The calendar rule (no announcement dated Sat/Sun): only the fallback for days the
    feed was never observed; `announced()` asks the observations first."""
    if date.weekday() >= 5:
        raise NoAnnouncement(
            f"arXiv announces nothing on {date:%A}s ({date.isoformat()}); "
            "pick a weekday, for example "
            f"{(date - dt.timedelta(days=date.weekday() - 4)).isoformat()}"
        )


def announced_at(date: dt.date) -> dt.datetime:
    """When the listing dated `date` went public: 20:00 US Eastern the evening before."""
    return dt.datetime.combine(date - dt.timedelta(days=1), ANNOUNCE_TIME, EASTERN)


def feed_date(now: dt.datetime) -> dt.date:
    """The listing the RSS feed shows at `now`: the last weekday announced by then
    (barring holidays, when the feed is empty)."""
    day = now.astimezone(EASTERN).date() + dt.timedelta(days=1)
    while day.weekday() >= 5 or announced_at(day) > now:
        day -= dt.timedelta(days=1)
    return day


def _previous_weekday(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def submission_window(date: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Submissions announced in the listing of `date`: from the cut-off (14:00 ET) of
    the weekday before the last one, to the cut-off of the last weekday before `date`."""
    check_announcement_day(date)
    end_day = _previous_weekday(date)
    start_day = _previous_weekday(end_day)
    return (
        dt.datetime.combine(start_day, CUTOFF_TIME, EASTERN),
        dt.datetime.combine(end_day, CUTOFF_TIME, EASTERN),
    )


def listing_categories(listing: Iterable[str]) -> frozenset[str]:
    """Every category a listing spec such as ("cs", "stat.ML") covers."""
    return taxonomy().expand_all(listing)


def in_listing(paper: Paper, categories: frozenset[str]) -> bool:
    return any(c in categories for c in paper.categories)
