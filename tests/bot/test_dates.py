from __future__ import annotations

import datetime as dt

import pytest

from bot.dates import LATEST, parse_date
from bot.errors import BadDateError

TODAY = dt.date(2021, 8, 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2021-08-06", dt.date(2021, 8, 6)), ("20210806", dt.date(2021, 8, 6)),
     ("today", TODAY), ("Yesterday", dt.date(2021, 8, 8)), ("latest", LATEST), ("", LATEST)],
)
def test_parse(text: str, expected: object) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["2021-13-45", "2021-02-30", "tomorrowish", "06/08/2021"])
def test_bad_dates_get_one_line(text: str) -> None:
    with pytest.raises(BadDateError) as err:
        parse_date(text, TODAY)
    assert "YYYY-MM-DD" in str(err.value) and "\n" not in str(err.value)
