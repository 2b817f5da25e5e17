"""What a top-level path like `/2021-08-06` names. Today only days; the week and month
windows of the ranking issue (`/2021-W31`, `/2021-08`) add a `Week` and a `Month` here
and one branch in `parse_period`, the route stays the same."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK_OR_MONTH = re.compile(r"^\d{4}-(W\d{2}|\d{2})$", re.IGNORECASE)
ROUTE = r"/{period:\d{4}-[^/]*}"  # every period path starts with a year and a dash


class BadPeriodError(ValueError):
    """A malformed date; the message says what to type instead."""


class NotPublishedError(LookupError):
    """A well-formed period the archive doesn't publish (yet)."""


@dataclass(frozen=True, slots=True)
class Day:
    date: dt.date

    @property
    def path(self) -> str:
        return "/" + self.date.isoformat()


def parse_period(text: str) -> Day:
    m = _DAY.match(text)
    if m:
        try:
            return Day(dt.date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            raise BadPeriodError(
                f"'{text}' is not a real date; type a day as /YYYY-MM-DD, for example "
                "/2021-08-06") from None
    if _WEEK_OR_MONTH.match(text):
        raise NotPublishedError(
            f"'{text}': weekly and monthly pages are not published yet; days are at "
            "/YYYY-MM-DD, for example /2021-08-06, and every day is listed at /archive")
    raise BadPeriodError(
        f"'{text}' is not a date; type a day as /YYYY-MM-DD, for example /2021-08-06")
