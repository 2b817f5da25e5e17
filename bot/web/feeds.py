"""Atom feeds (feedgen): `/feed.atom` (every day) and `/c/<category>.atom`.

One entry per DAY, not per paper: a digest is a daily issue (the blog published one post
a day), so a reader gets one item a day holding that day's ranked list, instead of 10-30
items arriving at once and losing the ranking. Entry ids are stable `urn:uuid:`s derived
from the feed's scope and the date (they don't change with the host name); `updated` is
when the day's digest was stored, `published` when it was counted."""

from __future__ import annotations

import datetime as dt
import uuid

from feedgen.feed import FeedGenerator

from bot.models import RankedPaper
from bot.render.links import absolute, category_path, day_path
from bot.store.browse import day_summaries
from bot.web.cache import Rendered
from bot.web.context import WebContext
from bot.web.html import render
from bot.web.pages import category_listings, category_scope

ATOM = "application/atom+xml; charset=utf-8"
FEED_DAYS = 14
CATEGORY_FEED_PAPERS = 300


def entry_id(scope: str, date: dt.date) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"hotpapers:{scope}:{date}"))


def _feed(ctx: WebContext, base: str, *, scope: str, title: str, page: str, self_path: str,
          days: list[tuple[dt.date, list[RankedPaper], dt.datetime, dt.datetime]]) -> Rendered:
    fg = FeedGenerator()
    fg.id(entry_id(scope, dt.date(1970, 1, 1)))
    fg.title(title)
    fg.subtitle("arXiv papers ranked by the attention they got on social media, every day")
    fg.author({"name": "Hot Papers"})
    fg.link(href=absolute(base, page), rel="alternate", type="text/html")
    fg.link(href=absolute(base, self_path), rel="self", type="application/atom+xml")
    fg.language("en")
    newest = max((stored for *_, stored in days), default=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    fg.updated(newest)
    for date, papers, counted, stored in days:
        fe = fg.add_entry(order="append")
        fe.id(entry_id(scope, date))
        n = len(papers)
        top = " ".join(papers[0].paper.title.split()) if papers else ""
        fe.title(f"Hot Papers {date}{'' if scope == 'all' else ' · ' + scope}: "
                 f"{n} paper{'' if n == 1 else 's'}" + (f", top: {top}" if top else ""))
        fe.link(href=absolute(base, day_path(date)), rel="alternate", type="text/html")
        fe.published(counted)
        fe.updated(stored)
        fe.content(render(ctx.app, "_feed_entry.html.j2", papers=papers, base=base), type="html")
    return Rendered.of(fg.atom_str(pretty=False), ATOM, last_modified=newest)


async def _stamps(ctx: WebContext) -> dict[dt.date, dt.datetime]:
    return {d.date: d.stored_at for d in await day_summaries(ctx.core.store)}


async def main_feed(ctx: WebContext, base: str) -> Rendered:
    store = ctx.core.store
    stamps = await _stamps(ctx)
    days = []
    for date in sorted(stamps, reverse=True)[:FEED_DAYS]:
        digest = await store.get_digest(date)
        if digest is not None:
            days.append((date, list(digest.papers), digest.counted_at, stamps[date]))
    return _feed(ctx, base, scope="all", title="Hot Papers", page="/", self_path="/feed.atom",
                 days=days)


async def category_feed(ctx: WebContext, base: str, name: str) -> Rendered:
    scope = category_scope(name)
    stamps = await _stamps(ctx)
    groups = (await category_listings(ctx, scope, CATEGORY_FEED_PAPERS))[:FEED_DAYS]
    days = []
    for date, papers in groups:
        digest = await ctx.core.store.get_digest(date)
        counted = digest.counted_at if digest else stamps[date]
        days.append((date, papers, counted, stamps[date]))
    path = category_path(scope.code)
    return _feed(ctx, base, scope=scope.code, title=f"Hot Papers in {scope.code}", page=path,
                 self_path=path + ".atom", days=days)
