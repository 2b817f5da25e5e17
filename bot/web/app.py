"""The web archive as an aiohttp application: pages, Atom feeds, the JSON API and the
stylesheet. `hotpapers serve` mounts it next to `/healthz` and the platforms' routes;
`hotpapers site` renders the same pages to files.

Routes (names in brackets, used by the templates' `url()`):
  /                      the latest day [latest]
  /YYYY-MM-DD            one day [period]; /2021-W31 a week, /2021-08 a month
  /c/<category>          the latest papers of a category or archive [category]
  /c/<category>.atom     its feed (same route)
  /p/<arxiv_id>          one paper [paper]
  /archive               every stored day by month [archive]
  /search?q=             full-text search [search]
  /feed.atom             every day [feed]
  /api/v1/...            the JSON API; /api/v1/openapi.json [openapi]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from aiohttp import web

from bot.arxiv.ids import normalize_id
from bot.core import Core
from bot.render.links import paper_path
from bot.settings import Settings
from bot.web import api, feeds, pages
from bot.web.cache import PageCache, Rendered, respond
from bot.web.context import CONTEXT, WebContext, base_url, context_of
from bot.web.html import setup_templates
from bot.web.periods import ROUTE, BadPeriodError, Day, parse_period

Build = Callable[[], Awaitable[Rendered]]
STATIC_DIR = Path(str(resources.files("bot.web") / "static"))


async def _cached_page(request: web.Request, build: Build, key: str | None = None
                       ) -> web.Response:
    ctx = context_of(request)

    async def safe() -> Rendered:
        try:
            return await build()
        except pages.PageError as err:
            return pages.error_page(ctx, err)

    return respond(request, await ctx.cache.get(key or request.path_qs, safe))


async def _cached_api(request: web.Request, build: Build, key: str | None = None
                      ) -> web.Response:
    ctx = context_of(request)

    async def safe() -> Rendered:
        try:
            return await build()
        except api.ApiError as err:
            return api.error_json(err)

    return respond(request, await ctx.cache.get(key or request.path_qs, safe))


async def latest(request: web.Request) -> web.Response:
    ctx = context_of(request)
    return await _cached_page(request, lambda: pages.day_page(ctx, None), "/")


async def period(request: web.Request) -> web.Response:
    ctx = context_of(request)
    text = request.match_info["period"]

    async def build() -> Rendered:
        try:
            found = parse_period(text)
        except BadPeriodError as exc:
            raise pages.PageError(400, "Not a date", str(exc)) from None
        if isinstance(found, Day):
            return await pages.day_page(ctx, found.date)
        return await pages.window_page(ctx, found)

    return await _cached_page(request, build, request.path)


async def category(request: web.Request) -> web.Response:
    ctx = context_of(request)
    name = request.match_info["name"]
    if name.endswith(".atom"):
        base = base_url(ctx, request)
        return await _cached_page(
            request, lambda: feeds.category_feed(ctx, base, name.removesuffix(".atom")),
            f"{base}{request.path}")
    return await _cached_page(request, lambda: pages.category_page(ctx, name), request.path)


async def paper(request: web.Request) -> web.Response:
    ctx = context_of(request)
    raw = request.match_info["arxiv_id"]
    arxiv_id = normalize_id(raw)
    if arxiv_id is not None and arxiv_id != raw:  # a version, arXiv: prefix, case
        raise web.HTTPMovedPermanently(paper_path(arxiv_id))

    async def build() -> Rendered:
        if arxiv_id is None:
            raise pages.PageError(400, "Not an arXiv id",
                                  f"'{raw[:60]}' is not an arXiv id; type one like "
                                  "/p/2108.02774 or /p/hep-th/9901001")
        return await pages.paper_page(ctx, arxiv_id)

    return await _cached_page(request, build, request.path)


async def archive(request: web.Request) -> web.Response:
    ctx = context_of(request)
    return await _cached_page(request, lambda: pages.archive_page(ctx), request.path)


async def search(request: web.Request) -> web.Response:
    ctx = context_of(request)
    query = request.query.get("q", "")
    try:
        page_no = max(1, min(int(request.query.get("page", "1")), 1000))
    except ValueError:
        page_no = 1
    key = f"/search?{page_no}&{' '.join(query.split())}"
    return await _cached_page(request, lambda: pages.search_page(ctx, query, page_no), key)


async def feed(request: web.Request) -> web.Response:
    ctx = context_of(request)
    base = base_url(ctx, request)
    return await _cached_page(request, lambda: feeds.main_feed(ctx, base), base + request.path)


async def api_digest(request: web.Request) -> web.Response:
    ctx = context_of(request)
    return await _cached_api(request, lambda: api.digest(ctx, request.match_info["date"]))


async def api_digests(request: web.Request) -> web.Response:
    ctx = context_of(request)
    q = request.query
    return await _cached_api(request, lambda: api.digests(
        ctx, q.get("from"), q.get("to"), q.getall("category", [])))


async def api_paper(request: web.Request) -> web.Response:
    ctx = context_of(request)
    base = base_url(ctx, request)
    return await _cached_api(request, lambda: api.paper(ctx, base, request.match_info["arxiv_id"]),
                             base + request.path_qs)


async def api_openapi(request: web.Request) -> web.Response:
    async def build() -> Rendered:
        return api.openapi()

    return await _cached_api(request, build)


@web.middleware
async def not_found_pages(request: web.Request, handler: Callable[[web.Request], Awaitable[
        web.StreamResponse]]) -> web.StreamResponse:
    """Unknown addresses get the site's 404 page (JSON under /api/)."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        ctx = request.config_dict.get(CONTEXT)
        if ctx is None:
            raise
        if request.path.startswith("/api/"):
            return respond(request, api.error_json(api.ApiError(
                404, f"no such API address {request.path[:80]}; see /api/v1/openapi.json")))
        return respond(request, pages.error_page(ctx, pages.PageError(
            404, "Page not found", f"Nothing is published at {request.path[:80]}.")))


def add_web_routes(app: web.Application, core: Core, settings: Settings, *,
                   check_every: float = 1.0, static_site: bool = False) -> WebContext:
    """Add the archive's routes, templates and context to `app`."""
    setup_templates(app)
    ctx = WebContext(app=app, core=core, cache=PageCache(core.store, check_every=check_every),
                     public_url=settings.public_url, static_site=static_site)
    app[CONTEXT] = ctx
    app.middlewares.append(not_found_pages)
    r = app.router
    r.add_get("/", latest, name="latest")
    r.add_get("/archive", archive, name="archive")
    r.add_get("/search", search, name="search")
    r.add_get("/feed.atom", feed, name="feed")
    r.add_get("/c/{name}", category, name="category")
    r.add_get("/p/{arxiv_id:.+}", paper, name="paper")
    r.add_get("/api/v1/openapi.json", api_openapi, name="openapi")
    r.add_get("/api/v1/digests", api_digests, name="api_digests")
    r.add_get("/api/v1/digests/{date}", api_digest, name="api_digest")
    r.add_get("/api/v1/papers/{arxiv_id:.+}", api_paper, name="api_paper")
    r.add_static("/static", STATIC_DIR, name="static", append_version=False)
    r.add_get(ROUTE, period, name="period")
    return ctx


def create_web_app(core: Core, settings: Settings, *, check_every: float = 1.0
                   ) -> web.Application:
    """A new application serving only the archive."""
    app = web.Application()
    add_web_routes(app, core, settings, check_every=check_every)
    return app
