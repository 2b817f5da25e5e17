"""The JSON API, version 1 (described by `bot.web.openapi`):
`/api/v1/digests/<date>` (the shape of `hotpapers digest --format json`),
`/api/v1/digests?from=&to=&category=` and `/api/v1/papers/<arxiv_id>`. Errors are
`{"error": "<one line>"}` with 400 (malformed input) or 404 (not stored)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from bot.arxiv.ids import normalize_id
from bot.errors import UnknownCategoryError
from bot.filters import by_categories, wanted_categories
from bot.render.json_render import digest_to_dict, mention_to_dict
from bot.render.links import absolute, day_path, paper_path
from bot.store.browse import paper_record
from bot.web.cache import Rendered
from bot.web.context import WebContext
from bot.web.openapi import DATE_PATTERN, MAX_SPAN_DAYS, document

JSON = "application/json; charset=utf-8"


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def as_json(value: Any, status: int = 200, modified: dt.datetime | None = None) -> Rendered:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Rendered.of(body, JSON, status=status, last_modified=modified)


def error_json(err: ApiError) -> Rendered:
    return as_json({"error": err.message}, err.status)


def parse_day(text: str, what: str) -> dt.date:
    if re.match(DATE_PATTERN, text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ApiError(400, f"{what} '{text[:40]}' is not a date; send YYYY-MM-DD, for example "
                        "2021-08-06")


async def digest(ctx: WebContext, text: str) -> Rendered:
    date = parse_day(text, "date")
    found = await ctx.core.store.get_digest(date)
    if found is None:
        near = await ctx.core.store.nearest_dates(date, 2)
        hint = f"; nearest stored: {' and '.join(map(str, near))}" if near else ""
        raise ApiError(404, f"no digest stored for {date}{hint}")
    return as_json(digest_to_dict(found), modified=(await ctx.cache.current())[1])


def _categories(values: list[str]) -> list[str]:
    cats = [c.strip() for v in values for c in v.split(",") if c.strip()]
    try:
        wanted_categories(cats)
    except UnknownCategoryError as exc:
        raise ApiError(400, str(exc).replace(
            "Type `hotpapers categories` (or `/hot help`) to list them.",
            "Send categories like cs.CV or stat.ML, or archives like cs.")) from None
    return cats


async def digests(ctx: WebContext, start: str | None, end: str | None, categories: list[str]
                  ) -> Rendered:
    store = ctx.core.store
    cats = _categories(categories)
    dates = await store.digest_dates()
    last = parse_day(end, "to") if end is not None else (dates[-1] if dates else None)
    if last is None:
        return as_json({"from": None, "to": None, "categories": cats, "digests": []})
    if start is not None:
        first = parse_day(start, "from")
    else:
        try:
            first = last - dt.timedelta(days=6)
        except OverflowError:
            first = dt.date.min
    if first > last:
        raise ApiError(400, f"from {first} is after to {last}; send from <= to")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise ApiError(400, f"{(last - first).days + 1} days asked; send at most "
                            f"{MAX_SPAN_DAYS} days per request (from and to)")
    out = []
    for date in (d for d in dates if first <= d <= last):
        found = await store.get_digest(date)
        if found is not None:
            out.append(digest_to_dict(by_categories(found, cats)))
    return as_json({"from": first.isoformat(), "to": last.isoformat(), "categories": cats,
                    "digests": out}, modified=(await ctx.cache.current())[1])


async def paper(ctx: WebContext, base: str, text: str) -> Rendered:
    arxiv_id = normalize_id(text)
    if arxiv_id is None or len(text) > 64:
        raise ApiError(400, f"'{text[:40]}' is not an arXiv id; send one like 2108.02774 "
                            "or hep-th/9901001")
    record = await paper_record(ctx.core.store, arxiv_id)
    if record is None:
        raise ApiError(404, f"arXiv:{arxiv_id} is not listed in any stored digest")
    p = record.paper
    return as_json({
        "arxiv_id": p.arxiv_id, "title": p.title, "authors": list(p.authors),
        "categories": list(p.categories), "abstract": p.abstract, "abs_url": p.abs_url,
        "pdf_url": p.pdf_url, "url": absolute(base, paper_path(p.arxiv_id)),
        "listings": [{"date": x.date.isoformat(), "rank": x.rank, "score": x.score,
                      "reposts": x.reposts, "likes": x.likes,
                      "url": absolute(base, day_path(x.date))} for x in record.listings],
        "mentions": [mention_to_dict(m) for m in record.mentions],
    }, modified=(await ctx.cache.current())[1])


def openapi() -> Rendered:
    return as_json(document())
