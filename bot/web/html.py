"""The jinja2 environment of the web archive (aiohttp-jinja2 keeps it on the app):
templates in `bot/web/templates/`, autoescaped, with the `url()` and `static()` helpers of
aiohttp-jinja2 and a few filters the templates share."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.models import Mention
from bot.render.common import counts_line, counts_phrase, number, post_text, shorten, source_label

STATIC_ROOT = "/static"


def _post_author(m: Mention) -> str:
    if m.author_name and m.author_handle:
        return f"{m.author_name} (@{m.author_handle.lstrip('@')})"
    if m.author_handle:
        return "@" + m.author_handle.lstrip("@")
    return m.author_name or "a post"


FILTERS: dict[str, Any] = {
    "oneline": lambda text: " ".join(str(text).split()),
    "shorten": lambda text, limit: shorten(str(text), int(limit)),
    "source_label": source_label,
    "post_author": _post_author,
    # `X 2,597 reposts · 245 likes — HN 120 points` of a RankedPaper or a browse Listing
    "breakdown": lambda x: counts_line(x),
    "post_counts": lambda m: counts_phrase(m.source, m.reposts, m.likes),
    "post_text": lambda text: post_text(str(text)),
    "number": number,
}


def setup_templates(app: web.Application) -> jinja2.Environment:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        filters=FILTERS,
    )
    app[aiohttp_jinja2.static_root_key] = STATIC_ROOT
    return env


def render(app: web.Application, name: str, **context: Any) -> str:
    """Template `name` with `context` (no request needed: pages are cached and exported)."""
    defaults: dict[str, Any] = {"title": "", "description": "", "feeds": (), "canonical": "",
                                "query": "", "static_site": False}
    env = aiohttp_jinja2.get_env(app)
    return env.get_template(name).render(app=app, **(defaults | context))
