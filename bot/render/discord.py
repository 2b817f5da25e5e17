"""Discord embeds for a digest, as plain dicts (the shape of Discord's embed object).

Pure: no discord.py import, so the core can render without the SDK. The adapters turn
the dicts into `discord.Embed.from_dict(...)`. Every embed stays within Discord's
limits: title 256, description 4,096, footer 2,048, and 6,000 characters in total
per message (one embed per message here, so per embed).
"""

from __future__ import annotations

from typing import Any

from bot.models import Digest, Mention, RankedPaper, category_url
from bot.render.common import (
    categories_label,
    counts_line,
    counts_phrase,
    number,
    paper_count,
    post_text,
    shorten,
    source_label,
    sources_line,
    title_text,
)

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
THREAD_NAME_LIMIT = 100
AUTHORS_LIMIT = 300
POST_TEXT_LIMIT = 200
LIST_TITLE_LIMIT = 110  # a title in the parent's list of papers
COLOR = 0xB31B1B  # arXiv red

Embed = dict[str, Any]


def thread_name(digest: Digest) -> str:
    """`Hot Papers 2021-08-06` (+ the channel's categories), within 100 characters."""
    name = digest.heading
    if digest.categories_filter:
        name += " · " + ", ".join(digest.categories_filter)
    return shorten(name, THREAD_NAME_LIMIT)


def parent_embed(digest: Digest, *, notes: tuple[str, ...] = ()) -> Embed:
    """The parent message: heading, how many papers, categories, sources, failures, and
    the numbered list of the papers with linked titles (as the Slack parent has)."""
    n = len(digest.papers)
    when = f"in {digest.period}" if digest.window else f"on {digest.period}"
    lines = [
        f"**{paper_count(n)}** · categories: {categories_label(digest)}"
        if n
        else f"No hot papers for {categories_label(digest)} {when}.",
    ]
    if src := sources_line(digest):
        lines.append(src)
    lines.extend(notes)
    if n:
        lines.append("One reply per paper in the thread below, ranked by attention.")
    if digest.web_url:
        lines.append(f"[Read it on the web]({digest.web_url})")
    head = shorten_lines("\n".join(lines), DESCRIPTION_LIMIT)
    title = shorten(digest.heading, TITLE_LIMIT)
    footer = f"counted {digest.counted_at:%Y-%m-%d %H:%M} UTC"
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(title) - len(footer)) - len(head) - 2
    listed = title_list(digest, room)
    return _fit(
        {
            **({"url": digest.web_url} if digest.web_url else {}),
            "title": title,
            "description": head + (f"\n\n{listed}" if listed else ""),
            "color": COLOR,
            "footer": {"text": footer},
        }
    )


def title_list(digest: Digest, room: int) -> str:
    """`1. [Title](abs link)` per paper, within `room` characters; what doesn't fit
    becomes `…and N more in the thread`."""
    lines: list[str] = []
    size = 0
    for i, p in enumerate(digest.papers):
        title = escape_markdown(shorten(title_text(p), LIST_TITLE_LIMIT, keep_spacing=True))
        line = f"{p.rank}. [{title}]({p.paper.abs_url})"
        more = f"…and {len(digest.papers) - i} more in the thread"
        if size + len(line) + 1 > room - len(more) - 1:
            if size + len(more) <= room:
                lines.append(more)
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def paper_embed(digest: Digest, paper: RankedPaper) -> Embed:
    """One paper: linked title, authors, counts, abs | pdf, category tags, abstract and
    the top post's link."""
    p = paper.paper
    tags = " ".join(f"[`{c}`]({category_url(c)})" for c in p.categories)
    counts = counts_line(paper)
    listed = f" · listed {paper.listed_on.isoformat()}" if paper.listed_on else ""
    head = [
        escape_markdown(shorten(", ".join(p.authors), AUTHORS_LIMIT)) if p.authors else "",
        f"**score {number(paper.score)}**" + (f" · {counts}" if counts else "") + listed,
        f"[abs]({p.abs_url}) | [pdf]({p.pdf_url})" + (f" · {tags}" if tags else ""),
    ]
    tail = [_top_post(paper.mentions[0])] if paper.mentions else []
    title = shorten(f"{paper.rank}. {title_text(paper)}", TITLE_LIMIT, keep_spacing=True)
    footer = f"{digest.heading} · #{paper.rank} of {len(digest.papers)}"
    fixed = "\n".join(x for x in head if x)
    end = "\n\n" + "\n".join(tail) if tail else ""
    # The abstract takes what the limits leave (description and whole-embed budgets).
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - len(title) - len(footer))
    room -= len(fixed) + len(end) + 2
    abstract = shorten(escape_markdown(p.abstract), room) if p.abstract and room > 20 else ""
    description = fixed + (f"\n\n{abstract}" if abstract else "") + end
    return _fit(
        {
            "title": title,
            "url": p.abs_url,
            "description": description,
            "color": COLOR,
            "footer": {"text": footer},
        }
    )


def _top_post(m: Mention) -> str:
    who = m.author_handle or m.author_name or source_label(m.source)
    if m.author_handle and not who.startswith("@"):
        who = "@" + who
    said = post_text(m.text)
    text = escape_markdown(shorten(said, POST_TEXT_LIMIT)) if said else ""
    quote = f" — “{text}”" if text else ""
    phrase = counts_phrase(m.source, m.reposts, m.likes)
    counts = f" ({phrase})" if phrase else ""
    return f"Top post: [{escape_markdown(who)} on {source_label(m.source)}]({m.url}){quote}{counts}"


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\*_~|`>[]"})


def escape_markdown(text: str) -> str:
    """Text shown as-is in an embed description (no accidental bold, links, spoilers)."""
    return text.translate(_MARKDOWN)


def shorten_lines(text: str, limit: int) -> str:
    """Cut multi-line text to `limit` characters, keeping line breaks."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def embed_size(embed: Embed) -> int:
    """The characters Discord counts toward the 6,000 limit."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len((embed.get("footer") or {}).get("text", ""))
    total += len((embed.get("author") or {}).get("name", ""))
    for f in embed.get("fields", ()):
        total += len(f.get("name", "")) + len(f.get("value", ""))
    return total


def _fit(embed: Embed) -> Embed:
    """Last guard: trim the description until the embed fits every limit."""
    embed["title"] = embed["title"][:TITLE_LIMIT]
    embed["footer"]["text"] = embed["footer"]["text"][:FOOTER_LIMIT]
    over = embed_size(embed) - EMBED_TOTAL_LIMIT
    desc = embed.get("description", "")
    if over > 0 or len(desc) > DESCRIPTION_LIMIT:
        keep = min(DESCRIPTION_LIMIT, len(desc) - max(0, over))
        embed["description"] = shorten_lines(desc, max(1, keep))
    return embed
