"""Dates and windows as users type them: `2021-08-06`, `today`, `yesterday`, `latest`;
`2021-W31` (an ISO week), `2021-08` (a month), `2021-08-02..2021-08-10`, `week` and
`month` (those of the latest digest)."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from bot.errors import BadDateError
from bot.models import Window

LATEST = "latest"
_ISO = re.compile(r"^(\d{4})[-/]?(\d{2})[-/]?(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
RELATIVE_WINDOWS = ("week", "month")
WEEK_DAYS = 5  # announcement days are Monday to Friday
MAX_WINDOW_DAYS = 366


def parse_date(text: str, today: dt.date | None = None) -> dt.date | str:
    """A date, or `LATEST` for "the newest stored digest"."""
    word = text.strip().lower()
    today = today or dt.datetime.now(dt.UTC).date()
    if word in ("", LATEST):
        return LATEST
    if word == "today":
        return today
    if word == "yesterday":
        return today - dt.timedelta(days=1)
    m = _ISO.match(word)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
        raise BadDateError(
            f"'{text}' is not a real date; type a date as YYYY-MM-DD, for example 2021-08-06"
        )
    raise BadDateError(
        f"'{text}' is not a date; type YYYY-MM-DD (for example 2021-08-06), "
        "today, yesterday or latest"
    )


def looks_like_date(text: str) -> bool:
    w = text.strip().lower()
    return w in ("today", "yesterday", LATEST) or bool(re.match(r"^\d{4}[-/]?\d", w))


# --- windows ------------------------------------------------------------------------


def iso_week(year: int, week: int) -> Window:
    """ISO week `week` of `year`: its Monday to its Friday (2021-W31: 08-02 .. 08-06)."""
    try:
        start = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        weeks = dt.date(year, 12, 28).isocalendar()[1]
        raise BadDateError(f"{year} has no ISO week {week} (its weeks are 1 to {weeks}); "
                           f"type a week like {year}-W{min(max(week, 1), weeks):02d}") from None
    return Window(start, start + dt.timedelta(days=WEEK_DAYS - 1), "week")


def month(year: int, number: int) -> Window:
    """A calendar month, from its first to its last weekday (July 2021: 07-01 .. 07-30)."""
    if not 1 <= number <= 12:
        raise BadDateError(f"'{year}-{number:02d}' is not a month; type one like {year}-08")
    first = dt.date(year, number, 1)
    last = dt.date(year, number, calendar.monthrange(year, number)[1])
    while first.weekday() >= WEEK_DAYS:
        first += dt.timedelta(days=1)
    while last.weekday() >= WEEK_DAYS:
        last -= dt.timedelta(days=1)
    return Window(first, last, "month")


def week_of(day: dt.date) -> Window:
    year, week, _ = day.isocalendar()
    return iso_week(year, week)


def month_of(day: dt.date) -> Window:
    return month(day.year, day.month)


def previous_week(day: dt.date) -> Window:
    """The ISO week before the one `day` is in."""
    return week_of(day - dt.timedelta(days=7))


def previous_month(day: dt.date) -> Window:
    """The month before the one `day` is in."""
    return month_of(day.replace(day=1) - dt.timedelta(days=1))


def window_between(start: dt.date, end: dt.date) -> Window:
    """Any span of days, both included (at most a year)."""
    if end < start:
        raise BadDateError(f"the window ends ({end}) before it starts ({start}); "
                           "put the earlier date first")
    if (end - start).days >= MAX_WINDOW_DAYS:
        raise BadDateError(f"{start} to {end} is more than a year; ask for at most "
                           f"{MAX_WINDOW_DAYS} days, or for a month like {end:%Y-%m}")
    return Window(start, end, "range")


def looks_like_window(text: str) -> bool:
    """`week`, `month`, `2021-W31`, `2021-08`, `2021-08-02..2021-08-10`."""
    w = text.strip().lower()
    return w in RELATIVE_WINDOWS or bool(_WEEK.match(w) or _MONTH.match(w)) or ".." in w


def parse_window(text: str, anchor: dt.date | None = None) -> Window:
    """The window a user typed; `week` and `month` are those of `anchor` (the latest
    digest). Raises BadDateError (one line) for anything else."""
    w = text.strip().lower()
    if w in RELATIVE_WINDOWS:
        if anchor is None:
            raise BadDateError(f"no digest is stored yet, so there is no {w} to show; ask "
                               "for one like 2021-W31 or 2021-08")
        return week_of(anchor) if w == "week" else month_of(anchor)
    if m := _WEEK.match(w):
        return iso_week(int(m[1]), int(m[2]))
    if m := _MONTH.match(w):
        return month(int(m[1]), int(m[2]))
    if ".." in w:
        first, _, last = w.partition("..")
        a, b = parse_date(first), parse_date(last)
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            return window_between(a, b)
    raise BadDateError(f"'{text}' is not a window; type week, month, a week like 2021-W31, "
                       "a month like 2021-08, or 2021-08-02..2021-08-10")
