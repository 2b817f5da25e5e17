"""Dates as users type them: `2021-08-06`, `today`, `yesterday`, `latest`."""

from __future__ import annotations

import datetime as dt
import re

from bot.errors import BadDateError

LATEST = "latest"
_ISO = re.compile(r"^(\d{4})[-/]?(\d{2})[-/]?(\d{2})$")


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
