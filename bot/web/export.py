"""`hotpapers site -o DIR`: the archive's pages and feeds written as files for a static
host (as the seed blog was published). The same page functions as `hotpapers serve`,
without the search box (a static host can't search). Layout: `index.html`,
`YYYY-MM-DD/index.html`, `c/<category>/index.html` + `c/<category>.atom`,
`p/<arxiv_id>/index.html`, `archive/index.html`, `feed.atom`, `404.html`,
`static/style.css`; links are root-relative, so the site is served at a domain's root."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.arxiv.taxonomy import taxonomy
from bot.core import Core
from bot.settings import Settings
from bot.store.browse import listed_ids_and_categories
from bot.web import feeds, pages
from bot.web.app import STATIC_DIR, add_web_routes
from bot.web.cache import Rendered

Progress = Callable[[int], None]


@dataclass
class ExportReport:
    pages: int = 0
    feeds: int = 0
    skipped: list[str] = field(default_factory=list)  # pages that were errors

    def summary(self, out: Path) -> str:
        return f"wrote {self.pages} pages and {self.feeds} feeds to {out}"


def _write(out: Path, relative: str, page: Rendered) -> None:
    target = out / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(page.body)


def _prepare(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)


def _copy_static(out: Path) -> None:
    (out / "static").mkdir(exist_ok=True)
    for css in STATIC_DIR.iterdir():
        shutil.copyfile(css, out / "static" / css.name)


async def export_site(core: Core, settings: Settings, out: Path, base_url: str, *,
                      progress: Progress | None = None) -> ExportReport:
    """Write every page and feed under `out` (created; files there are replaced)."""
    app = web.Application()
    ctx = add_web_routes(app, core, settings, static_site=True)
    ctx.public_url = base_url
    report = ExportReport()
    done = 0

    async def page(relative: str, build: Callable[[], Awaitable[Rendered]], feed: bool = False
                   ) -> None:
        nonlocal done
        try:
            rendered = await build()
        except pages.PageError as err:
            report.skipped.append(f"{relative}: {err.message}")
            return
        _write(out, relative, rendered)
        if feed:
            report.feeds += 1
        else:
            report.pages += 1
        done += 1
        if progress is not None:
            progress(done)

    _prepare(out)
    store = core.store
    dates = await store.digest_dates()
    if dates:
        await page("index.html", lambda: pages.day_page(ctx, None))
    for date in dates:
        await page(f"{date.isoformat()}/index.html",
                   lambda date=date: pages.day_page(ctx, date))  # type: ignore[misc]
    await page("archive/index.html", lambda: pages.archive_page(ctx))
    await page("feed.atom", lambda: feeds.main_feed(ctx, base_url), feed=True)
    ids, listed = listed_ids_and_categories(await pages.listing_rows(ctx))
    tax = taxonomy()
    codes = sorted({tax.normalise(c) for c in listed}
                   | {c.split(".")[0] for c in listed if tax.is_archive(c.split(".")[0])})
    for code in codes:
        await page(f"c/{code}/index.html",
                   lambda code=code: pages.category_page(ctx, code))  # type: ignore[misc]
        await page(f"c/{code}.atom", lambda code=code: feeds.category_feed(  # type: ignore[misc]
            ctx, base_url, code), feed=True)
    for arxiv_id in ids:
        await page(f"p/{arxiv_id}/index.html",
                   lambda i=arxiv_id: pages.paper_page(ctx, i))  # type: ignore[misc]
    not_found = pages.error_page(ctx, pages.PageError(
        404, "Page not found", "Nothing is published at this address."))
    _write(out, "404.html", not_found)
    _copy_static(out)
    return report
