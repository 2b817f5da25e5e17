"""The HTML pages, rendered from the store without a request (so they can be cached and
exported as files): the latest day, one day, a category, a paper, the archive, search,
and the error pages (404 naming the nearest days, 400 saying what to type)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from bot.arxiv.taxonomy import taxonomy
from bot.dates import month_of, week_of
from bot.errors import UnknownCategoryError, UsageError
from bot.lookup import window_for
from bot.models import Digest, RankedPaper, Window
from bot.render.common import sources_label, sources_line
from bot.render.links import category_path
from bot.store.browse import (
    day_summaries,
    latest_in_categories,
    listing_categories,
    paper_record,
)
from bot.store.search import BadSearchError, search_papers
from bot.web.cache import Rendered
from bot.web.context import WebContext
from bot.web.html import render

HTML = "text/html; charset=utf-8"
CATEGORY_PAPERS = 40  # the latest listings shown on a category page
SEARCH_PAGE = 25


class PageError(Exception):
    """A page that can't be shown: its status, title and one line saying why/what to do."""

    def __init__(self, status: int, title: str, message: str,
                 near: tuple[dt.date, ...] = ()) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.near = status, title, message, near


async def _stamp(ctx: WebContext) -> dt.datetime | None:
    return (await ctx.cache.current())[1]


def _page(ctx: WebContext, template: str, status: int = 200,
          modified: dt.datetime | None = None, **values: object) -> Rendered:
    html = render(ctx.app, template, static_site=ctx.static_site, **values)
    return Rendered.of(html, HTML, status=status, last_modified=modified)


def error_page(ctx: WebContext, err: PageError) -> Rendered:
    return _page(ctx, "error.html.j2", err.status, title=err.title, message=err.message,
                 near=err.near)


async def missing_day(ctx: WebContext, date: dt.date) -> PageError:
    near = tuple(await ctx.core.store.nearest_dates(date, 2))
    if not near:
        return PageError(404, f"No digest for {date}", "No digest has been stored yet.")
    return PageError(404, f"No digest for {date}",
                     f"There is no Hot Papers digest for {date}.", near)


async def window_page(ctx: WebContext, window: Window) -> Rendered:
    """A week or a month: its top papers from the stored days, each once with its best
    day; the previous and next window of the same kind."""
    try:
        digest, notes = await window_for(ctx.core.store, ctx.core.settings, window)
    except UsageError as exc:
        raise PageError(404, f"No digest in {window.label}", str(exc)) from None
    step = week_of if window.kind == "week" else month_of
    before = step(window.start - dt.timedelta(days=3))
    after = step(window.end + dt.timedelta(days=3))
    dates = await ctx.core.store.digest_dates()
    return _page(
        ctx, "day.html.j2", modified=await _stamp(ctx), title=digest.heading, digest=digest,
        description=_description(digest), sources=sources_line(digest),
        failed=sources_label(digest.failed_sources), notes=notes,
        prev=before.key if dates and dates[0] <= before.end else None,
        next=after.key if dates and dates[-1] >= after.start else None,
    )


async def day_page(ctx: WebContext, date: dt.date | None) -> Rendered:
    """One day (`None`: the latest)."""
    store = ctx.core.store
    dates = await store.digest_dates()
    if date is None:
        if not dates:
            raise PageError(404, "No digest yet",
                            "No digest stored yet: the first appears after the next "
                            "daily post; an admin can run hotpapers build, or import the "
                            "blog archive with hotpapers import PATH.")
        date = dates[-1]
    digest = await store.get_digest(date)
    if digest is None:
        raise await missing_day(ctx, date)
    i = dates.index(date)
    return _page(
        ctx, "day.html.j2", modified=await _stamp(ctx), title=digest.heading, digest=digest,
        description=_description(digest), sources=sources_line(digest),
        failed=sources_label(digest.failed_sources),
        prev=dates[i - 1].isoformat() if i > 0 else None,
        next=dates[i + 1].isoformat() if i + 1 < len(dates) else None, notes=(),
    )


def _description(digest: Digest) -> str:
    titles = "; ".join(" ".join(rp.paper.title.split()) for rp in digest.papers[:3])
    return f"The {len(digest.papers)} arXiv papers of {digest.period} with the most attention" + (
        f": {titles}" if titles else "")


async def listing_rows(ctx: WebContext) -> list[tuple[dt.date, str, tuple[str, ...]]]:
    """Every listing with its categories, read once per store generation."""
    gen = await ctx.cache.current()
    if ctx.listings is None or ctx.listings[0] != gen:
        ctx.listings = (gen, await listing_categories(ctx.core.store))
    return ctx.listings[1]


@dataclass(frozen=True, slots=True)
class CategoryScope:
    code: str  # as asked (`cs`, `cs.NA`)
    wanted: frozenset[str]
    heading: str
    about: str

    def keep(self, categories: tuple[str, ...]) -> bool:
        tax = taxonomy()
        return any(tax.normalise(c) in self.wanted for c in categories)


def category_scope(name: str) -> CategoryScope:
    tax = taxonomy()
    try:
        wanted = tax.expand(name)
    except UnknownCategoryError as exc:
        raise PageError(404, f"No category {name}", str(exc).replace(
            "Type `hotpapers categories` (or `/hot help`) to list them.",
            "Categories look like cs.CV or stat.ML; archives like cs.")) from None
    if tax.is_archive(name):
        archive = next(c.archive for c in tax.categories.values()
                       if c.archive.lower() == name.strip().lower())
        first = next(c for c in tax.categories.values() if c.archive == archive)
        return CategoryScope(archive, wanted, f"{archive}: {first.archive_name}",
                             f"every {archive} category ({len(wanted)})")
    code = tax.canonical(name)
    cat = tax.categories[code]
    shown = name.strip() if name.strip().lower() != code.lower() else code
    also = sorted(wanted - {code})
    about = f"also {', '.join(also)}" if also else cat.group_name
    if shown != code:
        about = f"{shown} is {code}; " + about
    return CategoryScope(shown, wanted, f"{shown}: {cat.name}", about)


async def category_listings(ctx: WebContext, scope: CategoryScope, limit: int
                            ) -> list[tuple[dt.date, list[RankedPaper]]]:
    """The latest `limit` listings in `scope`, grouped by day (newest first)."""
    store = ctx.core.store
    found = latest_in_categories(await listing_rows(ctx), scope.keep, limit)
    groups: list[tuple[dt.date, list[RankedPaper]]] = []
    for date, pairs in itertools.groupby(found, key=lambda x: x[0]):
        digest = await store.get_digest(date)
        ids = {arxiv_id for _, arxiv_id in pairs}
        if digest is not None:
            groups.append((date, [rp for rp in digest.papers if rp.paper.arxiv_id in ids]))
    return groups


async def category_page(ctx: WebContext, name: str) -> Rendered:
    scope = category_scope(name)
    groups = await category_listings(ctx, scope, CATEGORY_PAPERS)
    feed = category_path(scope.code) + ".atom"
    return _page(
        ctx, "category.html.j2", modified=await _stamp(ctx), title=scope.heading,
        heading=scope.heading, code=scope.code, about=scope.about, groups=groups,
        feed_href=feed, feeds=[{"title": f"Hot Papers in {scope.code}", "href": feed}],
        description=f"The latest arXiv papers in {scope.heading} with the most attention",
    )


async def paper_page(ctx: WebContext, arxiv_id: str) -> Rendered:
    record = await paper_record(ctx.core.store, arxiv_id)
    if record is None:
        raise PageError(404, f"No paper {arxiv_id} here",
                        f"arXiv:{arxiv_id} has not been listed in a stored digest; search for "
                        "it by title, or read it on arxiv.org.")
    return _page(ctx, "paper.html.j2", modified=await _stamp(ctx),
                 title=" ".join(record.paper.title.split()), record=record,
                 description=f"arXiv:{arxiv_id}: the days it was a hot paper and its posts")


async def archive_page(ctx: WebContext) -> Rendered:
    days = await day_summaries(ctx.core.store)
    months = [(month, list(group)) for month, group in itertools.groupby(
        reversed(days), key=lambda d: d.date.replace(day=1))]
    return _page(ctx, "archive.html.j2", modified=await _stamp(ctx), title="Every day",
                 months=months, total=len(days),
                 description="Every stored Hot Papers digest, by month")


async def search_page(ctx: WebContext, query: str, page_no: int = 1) -> Rendered:
    query = " ".join(query.split())
    if not query:
        return _page(ctx, "search.html.j2", title="Search", query="", page=None, error="",
                     page_no=1)
    try:
        page = await search_papers(ctx.core.store, query, limit=SEARCH_PAGE,
                                   offset=(page_no - 1) * SEARCH_PAGE)
    except BadSearchError as exc:
        return _page(ctx, "search.html.j2", 400, title="Search", query=query, page=None,
                     error=str(exc), page_no=page_no)
    return _page(ctx, "search.html.j2", modified=await _stamp(ctx), title=f"Search: {query}",
                 query=query, page=page, error="", page_no=page_no)
