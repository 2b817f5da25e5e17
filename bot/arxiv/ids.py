"""arXiv identifiers: normalise one id, find every id in a URL or a piece of text.

Two id schemes exist (https://info.arxiv.org/help/arxiv_identifier.html):

- new style `YYMM.NNNN` (April 2007 to December 2014) and `YYMM.NNNNN` (from January
  2015), with an optional version `vN`;
- old style `archive/YYMMNNN` (August 1991 to March 2007), optionally with a subject
  class (`math.GT/0309136`), which is not part of the identifier: arXiv serves
  `math.GT/0309136` as `math/0309136`.

The canonical form has no version and no subject class: `2108.02774`, `hep-th/9901001`,
`math/0309136`. Ids that cannot exist (month 13, a new-style id before 0704, the wrong
number of digits for its month, a month in the future) are rejected.

Every URL form people share contains the id as-is, so one scan of the text finds them
all: arxiv.org/abs|pdf|html (with or without `.pdf`, with a version),
export.arxiv.org, alphaxiv.org, huggingface.co/papers, the DOI `10.48550/arXiv.<id>`,
`arXiv:<id>` and bare ids in free text.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

# The archives that issued old-style ids (the new archives q-fin, stat, eess, econ
# started after the switch to new-style ids).
OLD_ARCHIVES = (
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
    "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
    "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "math", "mtrl-th",
    "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio",
    "quant-ph", "solv-int", "supr-con",
)  # fmt: skip
_ARCHIVES = "|".join(sorted((re.escape(a) for a in OLD_ARCHIVES), key=len, reverse=True))

# New style: not glued to a preceding word, digit or dot, except in the DOI `arXiv.<id>`.
_NEW = r"(?:(?<=arxiv\.)|(?<![\w.]))(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v\d+)?(?![\d])"
# Old style: archive, optional subject class, slash, 7 digits.
_OLD = (
    rf"(?:(?<=arxiv\.)|(?<![\w.-]))(?P<archive>{_ARCHIVES})(?:\.[a-z][a-z-]*)?/"
    r"(?P<oyymm>\d{4})(?P<onum>\d{3})(?:v\d+)?(?!\d)"
)
_ANY = re.compile(f"{_NEW}|{_OLD}", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*arxiv\s*:\s*", re.IGNORECASE)

FIRST_NEW_STYLE = (2007, 4)  # 0704
FIVE_DIGITS_FROM = (2015, 1)  # 1501
FIRST_OLD_STYLE = (1991, 8)  # 9108
LAST_OLD_STYLE = (2007, 3)  # 0703


def _latest_month(today: dt.date | None = None) -> tuple[int, int]:
    """The newest month an id can have: next month (ids are issued in UTC-5, and a
    little slack costs nothing)."""
    today = today or dt.datetime.now(dt.UTC).date()
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _new_style(yymm: str, num: str) -> str | None:
    year, month = 2000 + int(yymm[:2]), int(yymm[2:])
    if not 1 <= month <= 12 or not FIRST_NEW_STYLE <= (year, month) <= _latest_month():
        return None
    digits = 5 if (year, month) >= FIVE_DIGITS_FROM else 4
    if len(num) != digits or int(num) == 0:
        return None
    return f"{yymm}.{num}"


def _old_style(archive: str, yymm: str, num: str) -> str | None:
    yy, month = int(yymm[:2]), int(yymm[2:])
    year = 1900 + yy if yy >= 91 else 2000 + yy
    if not 1 <= month <= 12 or not FIRST_OLD_STYLE <= (year, month) <= LAST_OLD_STYLE:
        return None
    if int(num) == 0:
        return None
    return f"{archive.lower()}/{yymm}{num}"


def _canonical(match: re.Match[str]) -> str | None:
    if match["yymm"] is not None:
        return _new_style(match["yymm"], match["num"])
    return _old_style(match["archive"], match["oyymm"], match["onum"])


def normalize_id(s: str) -> str | None:
    """`2108.02774v2`, `arXiv:2108.02774`, `math.GT/0309136v1` -> the canonical id
    (`2108.02774`, `math/0309136`); None when `s` is not exactly one possible id."""
    text = _PREFIX.sub("", s.strip())
    match = _ANY.fullmatch(text)
    return _canonical(match) if match else None


def extract_ids(text_or_url: str) -> list[str]:
    """Every possible arXiv id in a URL or free text, canonical, versions stripped,
    deduplicated in order of first appearance."""
    found: dict[str, None] = {}
    if "%" in text_or_url:  # `arXiv%3A2108.02774`, `abs%2Fhep-th%2F9901001`
        text_or_url = unquote(text_or_url)
    for match in _ANY.finditer(text_or_url):
        arxiv_id = _canonical(match)
        if arxiv_id is not None:
            found.setdefault(arxiv_id)
    return list(found)
