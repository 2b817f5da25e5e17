"""The terminal layout of a digest (rich): rank, title, authors, counts, links,
category tags, a shortened abstract and the top post."""

from __future__ import annotations

import io
from collections.abc import Iterator

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.rule import Rule
from rich.text import Text

from bot.models import Digest, RankedPaper
from bot.render.common import (
    categories_label,
    failure_note,
    paper_count,
    score_line,
    shorten,
    source_label,
    sources_line,
    title_text,
)

ABSTRACT_CHARS = 320


def _paper(rp: RankedPaper) -> RenderableType:
    p = rp.paper
    head = Text.assemble((f"{rp.rank:>2}. ", "bold"), (title_text(rp), "bold cyan"))
    listed = f" · listed {rp.listed_on.isoformat()}" if rp.listed_on else ""
    body = [
        Text(", ".join(p.authors), style="italic"),
        Text(score_line(rp) + listed, style="yellow"),
        Text.assemble(("abs ", "dim"), (p.abs_url, f"link {p.abs_url}"),
                      ("  pdf ", "dim"), (p.pdf_url, f"link {p.pdf_url}")),
        Text(" ".join(f"[{c}]" for c in p.categories), style="green"),
    ]
    if p.abstract:
        body.append(Text(shorten(p.abstract, ABSTRACT_CHARS)))
    if rp.mentions:
        top = rp.mentions[0]
        who = f" ({top.author_name} @{top.author_handle})" if top.author_handle else ""
        body.append(Text(f"top post on {source_label(top.source)}: {top.url}{who}", style="dim"))
    return Group(head, Padding(Group(*body), (0, 0, 1, 4)))


def renderables(digest: Digest) -> Iterator[RenderableType]:
    summary = f"{paper_count(len(digest.papers))} · {categories_label(digest)}"
    extra = sources_line(digest)
    yield Rule(Text(f"{digest.heading} — {summary}", style="bold"), align="left")
    if extra:
        yield Text(extra, style="dim")
    yield Text("")
    if not digest.papers:
        yield Text("No paper got enough attention to be listed.")
    for rp in digest.papers:
        yield _paper(rp)
    if note := failure_note(digest):
        yield Text(f"Note: {note}", style="dim")
    for reach in digest.coverage:  # not asked: a coverage note, never a failure
        yield Text(f"Not counted: {reach}.", style="dim")


def print_digest(console: Console, digest: Digest) -> None:
    for item in renderables(digest):
        console.print(item)


def render_text(digest: Digest, width: int = 100) -> str:
    """Plain text (no colour codes), e.g. for `export --format text` and tests."""
    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False,
                      highlight=False, soft_wrap=False)
    print_digest(console, digest)
    return "".join(line.rstrip() + "\n" for line in buf.getvalue().splitlines())
