"""What a top-level path names: a day (`/2021-08-06`), an ISO week (`/2021-W31`) or a
month (`/2021-08`), the windows of `bot.dates`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.dates import iso_week, month
from bot.errors import BadDateError
from bot.models import Window

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ROUTE = r"/{period:\d{4}-[^/]*}"  # every period path starts with a year and a dash


class BadPeriodError(ValueError):
    """A malformed date; the message says what to type instead."""


@dataclass(frozen=True, slots=True)
class Day:
    date: dt.date

    @property
    def path(self) -> str:
        return "/" + self.date.isoformat()


def window_path(window: Window) -> str:
    return "/" + window.key


def parse_period(text: str) -> Day | Window:
    m = _DAY.match(text)
    if m:
        try:
            return Day(dt.date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            raise BadPeriodError(
                f"'{text}' is not a real date; type a day as /YYYY-MM-DD, for example "
                "/2021-08-06") from None
    try:
        if m := _WEEK.match(text):
            return iso_week(int(m[1]), int(m[2]))
        if m := _MONTH.match(text):
            return month(int(m[1]), int(m[2]))
    except BadDateError as exc:
        raise BadPeriodError(f"{exc} (a path like /2021-W31 or /2021-08)") from None
    raise BadPeriodError(
        f"'{text}' is not a date; type a day as /YYYY-MM-DD (for example /2021-08-06), a "
        "week as /2021-W31 or a month as /2021-08")
