"""Hacker News, through the Algolia search API: stories whose URL is on arxiv.org.

`GET search_by_date?query=arxiv.org&restrictSearchableAttributes=url&tags=story
&numericFilters=created_at_i>=START,created_at_i<END&hitsPerPage=1000` returns the newest
stories first. Algolia serves at most 1,000 hits per query (`paginationLimitedTo`), so
rather than paging past that cap the client slides the window: the next request ends
at the oldest story seen (inclusive, deduplicated by objectID); below the cap (smaller
pages) it pages with `page` first. One request covers up to 1,000 stories; no auth;
full history since 2007.

Counts: `points` -> likes. `num_comments` are replies, not reposts: reposts stay 0
(the seed's score is reposts + likes, and a comment is neither).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from bot.arxiv.ids import extract_ids
from bot.errors import HttpError, SourceUnavailable
from bot.models import Mention
from bot.signals.base import TimeWindow
from bot.signals.http import HttpSource, RateLimit

RATE = RateLimit(10_000, 3600)  # documented: 10,000 requests per hour per IP
PAGE_SIZE = 1000
ITEM_URL = "https://news.ycombinator.com/item?id="


class HackerNews(HttpSource):
    name = "hn"
    has_history = True
    BASE_URL = "https://hn.algolia.com/api/v1/"
    RATE = RATE
    PAGE_SIZE = PAGE_SIZE

    async def mentions(self, window: TimeWindow) -> AsyncIterator[Mention]:
        start = int(window.start.timestamp())
        upper = f"<{int(window.end.timestamp())}"
        seen: set[str] = set()
        while True:
            returned, fresh, oldest = 0, 0, None
            page_no, pages = 0, 1
            while page_no < pages:
                page = await self._page(start, upper, page_no)
                hits = page.get("hits") or []
                if not hits:
                    return
                for hit in hits:
                    key = str(hit.get("objectID"))
                    if key in seen:
                        continue
                    seen.add(key)
                    fresh += 1
                    mention = _mention(hit)
                    if mention is not None:
                        yield mention
                returned += len(hits)
                if returned >= int(page.get("nbHits") or 0):
                    return  # every story left in the window has come
                times = [int(h.get("created_at_i") or 0) for h in hits]
                oldest = min([*times, oldest] if oldest is not None else times)
                pages, page_no = int(page.get("nbPages") or 1), page_no + 1
            # Past Algolia's pagination cap: the rest of the window ends at the oldest
            # second seen, inclusive so that stories sharing that second are not lost;
            # when the cap filled within that second already, step past it.
            upper = f"<={oldest}" if fresh and upper != f"<={oldest}" else f"<{oldest}"

    async def _page(self, start: int, upper: str, page_no: int) -> dict[str, Any]:
        params: dict[str, str | int] = {
            "query": "arxiv.org",
            "restrictSearchableAttributes": "url",
            "tags": "story",
            "numericFilters": f"created_at_i>={start},created_at_i{upper}",
            "hitsPerPage": self.page_size,
            "page": page_no,
        }
        try:
            page = await self.fetcher.get("search_by_date", params)
        except HttpError as exc:
            raise SourceUnavailable(f"hn: {self.fetcher.where('search_by_date')} "
                                    f"refused the search ({exc})") from None
        if not isinstance(page, dict):
            raise SourceUnavailable("hn: the search answered something that is not a result page")
        return page


def _mention(hit: dict[str, Any]) -> Mention | None:
    ids = extract_ids(str(hit.get("url") or ""))
    if not ids and hit.get("story_text"):
        ids = extract_ids(str(hit["story_text"]))
    if not ids:
        return None
    created = hit.get("created_at_i")
    return Mention(
        source="hn",
        url=ITEM_URL + str(hit.get("objectID")),
        arxiv_ids=tuple(ids),
        author_name=str(hit.get("author") or ""),
        author_handle=str(hit.get("author") or ""),
        posted_at=dt.datetime.fromtimestamp(int(created), dt.UTC) if created else None,
        text=str(hit.get("title") or ""),
        language=None,
        reposts=0,
        likes=int(hit.get("points") or 0),
    )
