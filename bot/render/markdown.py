"""The digest as a Hot Papers blog post (Markdown with embedded tweets), from a jinja2
template. A digest parsed from a post renders back to that post byte for byte; a
filtered view renders the same way with just its papers."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

import jinja2

from bot.models import Digest, Mention, RankedPaper, category_url
from bot.render.common import failure_note
from bot.render.post_format import (
    META_FRONT_MATTER,
    META_LEAD_BLANKS,
    STAMP_FORMAT,
    TWEET_SCRIPT,
    default_front_matter,
    default_lead_blanks,
    paper_counted_at,
)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.render", "templates"),
        autoescape=False,  # Markdown with raw HTML embeds, not an HTML page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render_markdown(digest: Digest) -> str:
    """The blog post of `digest` (front matter, then one section per paper)."""
    meta = dict(digest.meta)
    front = meta.get(META_FRONT_MATTER)
    lead = meta.get(META_LEAD_BLANKS)
    template = _environment().get_template("post.md.j2")
    return template.render(
        front=front.split("\n") if front is not None else default_front_matter(digest),
        lead=int(lead) if lead and digest.papers else default_lead_blanks(len(digest.papers)),
        papers=[_paper(digest, rp) for rp in digest.papers],
        failed=failure_note(digest),
    )


def _paper(digest: Digest, rp: RankedPaper) -> dict[str, Any]:
    p = rp.paper
    return {
        "rank": rp.rank,
        "title": p.title,
        "authors": ", ".join(p.authors),
        "reposts": rp.reposts,
        "likes": rp.likes,
        "stamp": paper_counted_at(digest, p.arxiv_id).strftime(STAMP_FORMAT),
        "abs_url": p.abs_url,
        "pdf_url": p.pdf_url,
        "categories": " | ".join(f"[{c}]({category_url(c)})" for c in p.categories),
        "abstract": p.abstract,
        "embeds": [m.embed_html or embed_html(m) for m in rp.mentions],
    }


def embed_html(m: Mention) -> str:
    """An embed in the blog's style for a post known only by its fields."""
    text = html.escape(m.text, quote=False).replace("\n", "<br>")
    lang = f' lang="{html.escape(m.language)}"' if m.language else ""
    when = f"{m.posted_at:%B} {m.posted_at.day}, {m.posted_at.year}" if m.posted_at else "link"
    handle = f" (@{html.escape(m.author_handle)})" if m.author_handle else ""
    quote = (
        f'<blockquote class="twitter-tweet"><p{lang} dir="ltr">{text}</p>&mdash; '
        f'{html.escape(m.author_name or m.source, quote=False)}{handle} '
        f'<a href="{html.escape(m.url)}">{when}</a></blockquote>'
    )
    return f"{quote}\n{TWEET_SCRIPT}" if m.source == "x" else quote
