"""arXiv's OAI-PMH interface (`ListRecords`, `arXivRaw`): the fallback listing of a
past day when the API search fails.

A record's datestamp is its LAST modification, so the records of day D are the papers
first announced on D plus every paper revised or re-categorised that day, and a paper
announced on D but revised since is no longer there. So the listing keeps the records
whose first version (v1) was submitted in D's submission window, and says in a note
that later-revised papers may be missing. Pages follow `resumptionToken`; flow control
(503 + Retry-After) is handled by the pacer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from bot.arxiv.client import clean_text
from bot.arxiv.days import in_listing, listing_categories, submission_window
from bot.arxiv.pacing import ArxivPacer
from bot.arxiv.taxonomy import taxonomy
from bot.errors import ArxivUnavailable
from bot.models import Paper

OAI = "{http://www.openarchives.org/OAI/2.0/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
GROUP_ARCHIVES = frozenset({"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"})
EMPTY_PAGE_RETRIES = 4


@dataclass(frozen=True, slots=True)
class RawRecord:
    paper: Paper
    first_submitted: dt.datetime | None  # the v1 date
    datestamp: dt.date | None


def set_spec(code: str) -> str:
    """The OAI set of a listing part: `cs`, `stat.ML` -> `stat:stat:ML`,
    `astro-ph` -> `physics:astro-ph`, `hep-th` -> `physics:hep-th`."""
    archive, _, sub = code.partition(".")
    group = archive if archive in GROUP_ARCHIVES else "physics"
    if archive == group and not sub:
        return archive
    return ":".join(x for x in (group, archive, sub) if x)


def _date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        return None


def parse_list_records(text: str) -> tuple[list[RawRecord], str | None]:
    """The records of one ListRecords page and the resumption token (None at the end)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ArxivUnavailable(f"arXiv OAI-PMH answered something that is not XML ({exc})") \
            from None
    error = root.find(f"{OAI}error")
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return [], None
        raise ArxivUnavailable(f"arXiv OAI-PMH refused the request ({error.get('code')}: "
                               f"{clean_text(error.text or '')})")
    tax = taxonomy()
    out = []
    for record in root.iter(f"{OAI}record"):
        raw = record.find(f"{OAI}metadata/{RAW}arXivRaw")
        if raw is None:  # a deleted record
            continue
        versions = raw.findall(f"{RAW}version")
        first = next((v for v in versions if v.get("version") == "v1"),
                     versions[0] if versions else None)
        stamp = record.findtext(f"{OAI}header/{OAI}datestamp")
        cats = (raw.findtext(f"{RAW}categories") or "").split()
        out.append(RawRecord(
            paper=Paper(
                arxiv_id=(raw.findtext(f"{RAW}id") or "").strip(),
                title=clean_text(raw.findtext(f"{RAW}title") or ""),
                authors=tuple(a.strip() for a in
                              clean_text(raw.findtext(f"{RAW}authors") or "")
                              .replace(", and ", ", ").replace(" and ", ", ").split(",")
                              if a.strip()),
                categories=tuple(dict.fromkeys(tax.normalise(c) for c in cats)),
                abstract=clean_text(raw.findtext(f"{RAW}abstract") or ""),
            ),
            first_submitted=_date(first.findtext(f"{RAW}date") if first is not None else None),
            datestamp=dt.date.fromisoformat(stamp.strip()) if stamp else None,
        ))
    token = root.find(f"{OAI}ListRecords/{OAI}resumptionToken")
    return out, (token.text.strip() if token is not None and token.text
                 and token.text.strip() else None)


async def list_records(
    pacer: ArxivPacer, oai_url: str, *, day: dt.date, set_: str
) -> list[RawRecord]:
    """Every record of `set_` with datestamp `day`, following resumption tokens."""
    params = {"verb": "ListRecords", "metadataPrefix": "arXivRaw",
              "from": day.isoformat(), "until": day.isoformat(), "set": set_}
    out: list[RawRecord] = []
    while True:
        for _ in range(EMPTY_PAGE_RETRIES):
            body = await pacer.fetch("GET", oai_url, params=params, what="arXiv OAI-PMH")
            records, token = await asyncio.to_thread(parse_list_records, body)
            if records or token is None:
                break  # an empty page that promises more is spurious: fetch it again
        out.extend(records)
        if token is None:
            return out
        params = {"verb": "ListRecords", "resumptionToken": token}


async def oai_listing(
    date: dt.date, *, pacer: ArxivPacer, oai_url: str, listing: Iterable[str]
) -> dict[str, Paper]:
    """The papers first announced on `date` in `listing`, as OAI-PMH still has them."""
    listing = tuple(listing)
    categories = listing_categories(listing)
    start, end = submission_window(date)
    papers: dict[str, Paper] = {}
    for spec in dict.fromkeys(set_spec(part) for part in listing):
        for r in await list_records(pacer, oai_url, day=date, set_=spec):
            first = r.first_submitted
            if first is not None and start <= first < end and in_listing(r.paper, categories):
                papers[r.paper.arxiv_id] = r.paper
    return papers
