"""What every handler of the web archive shares, kept on the aiohttp application."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aiohttp import web

from bot.core import Core
from bot.web.cache import Generation, PageCache


@dataclass(slots=True)
class WebContext:
    app: web.Application
    core: Core
    cache: PageCache
    public_url: str | None = None  # HOTPAPERS_PUBLIC_URL: absolute links in feeds
    static_site: bool = False  # rendering files for `hotpapers site` (no search box)
    # every listing's categories, with the store generation it was read at
    listings: tuple[Generation, list[tuple[dt.date, str, tuple[str, ...]]]] | None = None


CONTEXT = web.AppKey("hotpapers_web", WebContext)


def context_of(request: web.Request) -> WebContext:
    return request.config_dict[CONTEXT]


def base_url(ctx: WebContext, request: web.Request | None) -> str:
    """Where the archive is reachable: HOTPAPERS_PUBLIC_URL, else the request's host."""
    if ctx.public_url:
        return ctx.public_url.rstrip("/")
    if request is None:
        raise ValueError("absolute links need HOTPAPERS_PUBLIC_URL (or --base-url)")
    return f"{request.scheme}://{request.host}"
