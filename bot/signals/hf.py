"""Hugging Face daily papers: `GET daily_papers?date=YYYY-MM-DD&limit=100&p=N`.

The list is per day, so the client asks for every UTC date the window touches, one
request per day (more only when a day has more than `limit` papers: it then pages with
`p` until a short page). Each entry is one "post": the paper's Hugging Face page,
`https://huggingface.co/papers/<id>`, so a paper listed on two days counts once.
`paper.id` is the arXiv id, `paper.upvotes` -> likes; comments are not reposts.
No auth; any past day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

from bot.arxiv.ids import normalize_id
from bot.errors import HttpError, SourceUnavailable
from bot.models import Mention
from bot.signals.base import TimeWindow
from bot.signals.http import HttpSource, RateLimit, parse_time

RATE = RateLimit(500, 300)  # Hugging Face Hub: anonymous API calls per 5 minutes
PAGE_SIZE = 100
PAPER_URL = "https://huggingface.co/papers/"


def days_touched(window: TimeWindow) -> Iterator[dt.date]:
    """The UTC dates of [window.start, window.end), oldest first."""
    day = window.start.astimezone(dt.UTC).date()
    last = (window.end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


class HuggingFace(HttpSource):
    name = "hf"
    has_history = True
    BASE_URL = "https://huggingface.co/api/"
    RATE = RATE
    PAGE_SIZE = PAGE_SIZE

    async def mentions(self, window: TimeWindow) -> AsyncIterator[Mention]:
        seen: set[str] = set()
        for day in days_touched(window):
            page_no = 0
            while True:
                items = await self._page(day, page_no)
                for item in items:
                    mention = _mention(item)
                    if mention is not None and mention.url not in seen:
                        seen.add(mention.url)
                        yield mention
                if len(items) < self.page_size:
                    break
                page_no += 1

    async def _page(self, day: dt.date, page_no: int) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {
            "date": day.isoformat(), "limit": self.page_size, "p": page_no,
        }
        try:
            items = await self.fetcher.get("daily_papers", params)
        except HttpError as exc:
            raise SourceUnavailable(f"hf: {self.fetcher.where('daily_papers')} refused "
                                    f"the daily papers of {day} ({exc})") from None
        if not isinstance(items, list):
            raise SourceUnavailable(f"hf: the daily papers of {day} are not a list")
        return [i for i in items if isinstance(i, dict)]


def _mention(item: dict[str, Any]) -> Mention | None:
    paper = item.get("paper") or {}
    arxiv_id = normalize_id(str(paper.get("id") or ""))
    if arxiv_id is None:
        return None
    submitter = item.get("submittedBy") or {}
    return Mention(
        source="hf",
        url=PAPER_URL + arxiv_id,
        arxiv_ids=(arxiv_id,),
        author_name=str(submitter.get("fullname") or ""),
        author_handle=str(submitter.get("user") or ""),
        posted_at=parse_time(item.get("publishedAt") or paper.get("publishedAt")),
        text=str(paper.get("title") or item.get("title") or ""),
        reposts=0,
        likes=int(paper.get("upvotes") or 0),
    )

