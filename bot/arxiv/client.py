"""The arXiv API (`/api/query`): metadata by `id_list` in batches, and searches paged
with `start`/`max_results`.

Both go through an `ArxivPacer` (one request every 3 s). `id_list` batches are sent as
a POST form (the API accepts GET and POST) so 2,000 ids never make an over-long URL.
A page with no entries although `totalResults` says there are more is one of arXiv's
spurious empty pages: it is fetched again (after the interval).

Parsing: the API's Atom is one fixed, well-formed schema, read with ElementTree
(about 0.1 s for a 2,000-entry page, off the event loop). feedparser, which reads the
RSS feed (`bot.arxiv.listing`), takes over 1 s for the same page; the tests check both
the pre-2025 and the current response formats.
"""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from bot.arxiv.pacing import ArxivPacer
from bot.arxiv.taxonomy import taxonomy
from bot.errors import ArxivUnavailable, BadResponse
from bot.models import Paper

MAX_PAGE = 2000  # the API's largest page
_ABS_ID = re.compile(r"arxiv\.org/abs/(.+?)(?:v\d+)?$")
_VERSION = re.compile(r"v\d+$")


def strip_version(arxiv_id: str) -> str:
    return _VERSION.sub("", arxiv_id.strip())


def clean_text(text: str) -> str:
    """One line: arXiv wraps titles and abstracts at ~80 columns."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class AtomPage:
    papers: list[Paper]
    total: int
    start: int
    errors: list[str]

    @property
    def looks_spuriously_empty(self) -> bool:
        return not self.papers and not self.errors and self.total > self.start


ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
EMPTY_PAGE_RETRIES = 4


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


def paper_from_entry(entry: ET.Element) -> Paper | None:
    m = _ABS_ID.search((entry.findtext(f"{ATOM}id") or "").strip())
    if m is None:
        return None
    tax = taxonomy()
    primary = entry.find(f"{ARXIV}primary_category")
    cats = [primary.get("term", "")] if primary is not None else []
    cats += [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
    return Paper(
        arxiv_id=m[1],
        title=clean_text(entry.findtext(f"{ATOM}title") or ""),
        authors=tuple(clean_text(a.findtext(f"{ATOM}name") or "")
                      for a in entry.findall(f"{ATOM}author") if a.findtext(f"{ATOM}name")),
        categories=tuple(dict.fromkeys(tax.normalise(c) for c in cats if c)),
        abstract=clean_text(entry.findtext(f"{ATOM}summary") or ""),
    )


def parse_atom(text: str) -> AtomPage:
    """Papers, totals and API error entries of one Atom response (old or new format)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise BadResponse(f"the arXiv API answered something that is not Atom ({exc})") from None
    papers: list[Paper] = []
    errors: list[str] = []
    for entry in root.iter(f"{ATOM}entry"):
        if "/api/errors" in (entry.findtext(f"{ATOM}id") or ""):
            errors.append(clean_text(entry.findtext(f"{ATOM}summary") or "error"))
            continue
        paper = paper_from_entry(entry)
        if paper is not None:
            papers.append(paper)
    return AtomPage(
        papers=papers,
        total=_int(root.findtext(f"{OPENSEARCH}totalResults"), len(papers)),
        start=_int(root.findtext(f"{OPENSEARCH}startIndex"), 0),
        errors=errors,
    )


class ArxivApi:
    def __init__(self, pacer: ArxivPacer, api_url: str, *, page_size: int = MAX_PAGE) -> None:
        self.pacer = pacer
        self.api_url = api_url
        self.page_size = min(page_size, MAX_PAGE)

    async def _page(
        self, method: str, *, params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> AtomPage:
        """One page, fetched again while it is spuriously empty."""
        for _ in range(EMPTY_PAGE_RETRIES):
            body = await self.pacer.fetch(method, self.api_url, params=params, data=data,
                                          what="the arXiv API")
            page = await asyncio.to_thread(parse_atom, body)
            if not page.looks_spuriously_empty:
                break
        if page.looks_spuriously_empty:
            raise ArxivUnavailable(f"the arXiv API kept answering empty pages "
                                   f"({EMPTY_PAGE_RETRIES} tries); try again later")
        return page

    async def metadata(self, ids: Iterable[str]) -> dict[str, Paper]:
        """Papers by id (versions stripped), in batches of `page_size`. Ids arXiv does
        not know are simply absent from the result."""
        wanted = list(dict.fromkeys(strip_version(i) for i in ids))
        out: dict[str, Paper] = {}
        for i in range(0, len(wanted), self.page_size):
            batch = wanted[i : i + self.page_size]
            page = await self._page("POST", data={
                "id_list": ",".join(batch), "start": "0", "max_results": str(len(batch))})
            for p in page.papers:
                out[p.arxiv_id] = p
        return out

    async def search(self, query: str, *, sort_by: str = "submittedDate") -> list[Paper]:
        """Every paper matching `query` (arXiv search syntax; spaces, not `+`)."""
        out: list[Paper] = []
        start = 0
        while True:
            page = await self._page("GET", params={
                "search_query": query, "start": str(start),
                "max_results": str(self.page_size), "sortBy": sort_by,
                "sortOrder": "ascending"})
            out.extend(page.papers)
            start += len(page.papers)
            if not page.papers or start >= page.total:
                return out
