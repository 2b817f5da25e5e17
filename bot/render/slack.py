"""Slack Block Kit messages for a digest: the parent message and one reply per paper.

Pure functions, no SDK: each returns a `SlackMessage` (the `text` fallback and the
`blocks`) that the Slack adapter passes to `chat.postMessage`. Every message stays within
Slack's limits (50 blocks, section text 3,000, header 150, context 10 elements) and its
block text well under 12,000 characters; `check_limits` says what is over.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

from bot.models import Digest, Mention, RankedPaper, category_url
from bot.render.common import (
    categories_label,
    counts_line,
    counts_phrase,
    number,
    paper_count,
    post_text,
    score_line,
    shorten,
    source_label,
    sources_label,
    title_text,
)

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_TOTAL = 11000  # of all block text; Slack's practical ceiling is 12,000
MAX_FALLBACK = 3000
ABSTRACT_LIMIT = 1200
AUTHORS_LIMIT = 400
POST_LIMIT = 280
TITLE_LINE_LIMIT = 110

Block = dict[str, Any]


class SlackMessage(TypedDict):
    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """Slack mrkdwn escaping of the three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    """`<url|label>`; the label cannot hold a `|`, so it becomes a look-alike."""
    return f"<{url}|{escape(label).replace('|', '∣')}>"


def _plain(text: str, limit: int) -> Block:
    return {"type": "plain_text", "text": shorten(text, limit) or "Hot Papers", "emoji": True}


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(_cut(text, MAX_SECTION))}


def _context(parts: Iterable[str]) -> Block:
    elements = [_mrkdwn(_cut(p, MAX_SECTION)) for p in parts if p][:MAX_CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements}


def _cut(text: str, limit: int) -> str:
    """A hard cut for text that is already mrkdwn (shortening would break links)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _title(paper: RankedPaper, limit: int) -> str:
    """The title as listed (its spacing kept), within `limit`."""
    return shorten(title_text(paper), limit, keep_spacing=True)


# --- the parent message ---------------------------------------------------------------


def parent_message(digest: Digest, notes: Iterable[str] = ()) -> SlackMessage:
    """The parent: header, how many papers, categories, sources (and failures), a short
    numbered list of the titles, and any notes. A digest without papers gets one message
    saying so (it is then the only message posted)."""
    if not digest.papers:
        return empty_message(digest, notes)
    n = len(digest.papers)
    summary = f"*{paper_count(n)}* · categories: {escape(categories_label(digest))}"
    web = f" · {link(digest.web_url, 'Read it on the web')}" if digest.web_url else ""
    blocks: list[Block] = [
        {"type": "header", "text": _plain(digest.heading, MAX_HEADER)},
        _section(summary + "\nOne reply per paper in the thread :thread:" + web),
    ]
    about = _about(digest)
    if about:
        blocks.append(_context(about))
    blocks.append(_section(_title_list(digest.papers)))
    note_lines = [escape(shorten(note, 300)) for note in notes if note.strip()]
    if note_lines:
        blocks.append(_context(note_lines))
    text = f"{digest.heading}: {paper_count(n)} ({categories_label(digest)})"
    return {"text": _cut(text, MAX_FALLBACK), "blocks": blocks}


def empty_message(digest: Digest, notes: Iterable[str] = ()) -> SlackMessage:
    where = categories_label(digest)
    text = f"{digest.heading}: no papers in {where} got enough attention to be listed."
    web = f"\n{link(digest.web_url, 'The day on the web')}" if digest.web_url else ""
    blocks: list[Block] = [
        {"type": "header", "text": _plain(digest.heading, MAX_HEADER)},
        _section(escape(text) + web),
    ]
    extra = _about(digest) + [escape(shorten(n, 300)) for n in notes if n.strip()]
    if extra:
        blocks.append(_context(extra))
    return {"text": text, "blocks": blocks}


def _about(digest: Digest) -> list[str]:
    parts = []
    if digest.sources:
        parts.append("sources: " + sources_label(digest.sources))
    if digest.failed_sources:
        failed = sources_label(digest.failed_sources)
        parts.append(f":warning: failed: {failed} (counts may be low)")
    parts.append(f"counted {digest.counted_at:%Y-%m-%d %H:%M} UTC")
    return parts


def _title_list(papers: tuple[RankedPaper, ...]) -> str:
    lines: list[str] = []
    size = 0
    for i, p in enumerate(papers):
        line = f"{p.rank}. {link(p.paper.abs_url, _title(p, TITLE_LINE_LIMIT))}"
        more = f"…and {len(papers) - i} more in the thread"
        if size + len(line) + 1 > MAX_SECTION - len(more) - 2:
            lines.append(more)
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


# --- one reply per paper --------------------------------------------------------------


def paper_message(digest: Digest, paper: RankedPaper) -> SlackMessage:
    """One paper: linked title, authors, the combined score and where it came from,
    abs | pdf, category tags, abstract (shortened with a link when long), the top post."""
    p = paper.paper
    title = title_text(paper)
    heading = f"*{paper.rank}. {link(p.abs_url, _title(paper, 250))}*"
    authors = escape(shorten(", ".join(p.authors), AUTHORS_LIMIT))
    blocks: list[Block] = [_section(heading + (f"\n{authors}" if authors else ""))]
    tags = " ".join(link(category_url(c), c) for c in p.categories[:8])
    links = f"{link(p.abs_url, 'abs')} | {link(p.pdf_url, 'pdf')}"
    counts = counts_line(paper)
    score = f"*score {number(paper.score)}*" + (f" · {escape(counts)}" if counts else "")
    listed = f"listed {paper.listed_on.isoformat()}" if paper.listed_on else ""
    blocks.append(_context([score, links, tags, listed]))
    abstract = " ".join(p.abstract.split())
    if abstract:
        short = shorten(abstract, ABSTRACT_LIMIT)
        body = escape(short)
        if short != abstract:
            body += " " + link(p.abs_url, "read more")
        blocks.append(_section(body))
    if paper.mentions:
        blocks.append(_context([_top_post(paper.mentions[0])]))
    text = f"{paper.rank}. {title} ({score_line(paper)}) {p.abs_url}"
    return {"text": _cut(text, MAX_FALLBACK), "blocks": blocks}


def _top_post(m: Mention) -> str:
    who = m.author_name or (f"@{m.author_handle}" if m.author_handle else source_label(m.source))
    said = post_text(m.text)
    said = f": “{escape(shorten(said, POST_LIMIT))}”" if said else ""
    counts = counts_phrase(m.source, m.reposts, m.likes)
    return (
        f"Top post on {escape(source_label(m.source))} by {link(m.url, who)}{said}"
        + (f" · {counts}" if counts else "")
    )


# --- limits ---------------------------------------------------------------------------


def block_text_size(blocks: list[Block]) -> int:
    total = 0
    for b in blocks:
        if "text" in b:
            total += len(b["text"]["text"])
        for e in b.get("elements", ()):
            total += len(e.get("text", ""))
    return total


def check_limits(message: SlackMessage) -> list[str]:
    """What in `message` is over Slack's limits (empty when it fits)."""
    problems = []
    blocks = message["blocks"]
    if not message["text"].strip():
        problems.append("no text fallback")
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks > {MAX_BLOCKS}")
    for i, b in enumerate(blocks):
        if b["type"] == "header" and not 0 < len(b["text"]["text"].strip()) <= MAX_HEADER:
            problems.append(f"block {i}: header empty or over {MAX_HEADER}")
        if b["type"] == "section" and not 0 < len(b["text"]["text"].strip()) <= MAX_SECTION:
            problems.append(f"block {i}: section empty or over {MAX_SECTION}")
        if b["type"] == "context" and not 0 < len(b["elements"]) <= MAX_CONTEXT_ELEMENTS:
            problems.append(f"block {i}: context with {len(b['elements'])} elements")
    if block_text_size(blocks) > MAX_TOTAL:
        problems.append(f"block text {block_text_size(blocks)} > {MAX_TOTAL}")
    return problems
