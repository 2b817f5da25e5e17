"""`hotpapers explain`: why a paper ranks where it does, as text lines or JSON-ready data.

Per source: the posts counted, what they add; then every post, counted in full, counted
down or not counted, with its points and the rule that changed it."""

from __future__ import annotations

from typing import Any

from bot.counting import META_COUNTING, META_NORMALISATION, META_WEIGHTS
from bot.models import CountedPost, Explanation, SourceCount
from bot.render.common import (
    SHORT_LABELS,
    counts_line,
    counts_phrase,
    number,
    source_label,
    title_text,
)
from bot.render.json_render import sources_to_dict

IMPORTED = ("imported from the Hot Papers blog, which published each paper's totals but "
            "not the counts of its posts")


def _who(c: CountedPost) -> str:
    m = c.mention
    return f"@{m.author_handle.lstrip('@')}" if m.author_handle else (m.author_name or "?")


def _post_line(c: CountedPost) -> str:
    m = c.mention
    counts = counts_phrase(m.source, m.reposts, m.likes) or "no reposts or likes"
    sign = "+" if c.counted else "-"
    head = f"  {sign} {number(round(c.points, 1)):>7}  {_who(c)}  {counts}"
    if c.rule and c.counted:
        return f"{head}  counted down: {c.reason}  {m.url}"
    if c.rule:
        return f"{head}  not counted: {c.reason}  {m.url}"
    return f"{head}  {m.url}"


def _source_line(s: SourceCount, posts: list[CountedPost], normalisation: str) -> str:
    name = source_label(s.source)
    n = sum(1 for c in posts if c.counted)
    down = sum(1 for c in posts if c.counted and c.rule)
    dropped = len(posts) - n
    what = f"{n} post{'' if n == 1 else 's'} counted"
    if down:
        what += f" ({down} counted down)"
    if dropped:
        what += f", {dropped} not counted"
    points = round(sum(c.points for c in posts), 1)
    adds = round(s.points, 1)
    counts = counts_phrase(s.source, s.reposts, s.likes) or "nothing"
    line = f"{name}: {what}; {counts}; counts {number(points)}"
    if normalisation == "rank":
        return line + f"; its percentile among the day's papers, weighted, adds {number(adds)}"
    return line + (f"; weighted, adds {number(adds)}" if adds != points else "")


def explain_lines(e: Explanation) -> list[str]:
    """The explanation as lines of plain text."""
    d, rp = e.digest, e.paper
    lines = [
        f"{rp.paper.arxiv_id} · {title_text(rp)}",
        f"rank {rp.rank} of {len(d.papers)} on {d.date.isoformat()} · score {number(rp.score)}",
    ]
    if e.imported:
        lines.append(f"{IMPORTED}: score = {counts_line(rp) or 'unknown'} "
                     f"= {number(rp.score)}")
        if rp.mentions:
            lines.append("posts shown under it (their own counts unknown):")
            lines.extend(f"  {m.url}" for m in rp.mentions)
        return lines
    normalisation = d.meta_value(META_NORMALISATION, "none")
    lines.append(f"counted: {d.meta_value(META_COUNTING, 'every post in full')} · "
                 f"normalisation: {normalisation} · weights: "
                 f"{d.meta_value(META_WEIGHTS, 'all 1')}")
    by_source: dict[str, list[CountedPost]] = {}
    for c in e.posts:
        by_source.setdefault(c.mention.source, []).append(c)
    for s in rp.by_source:
        posts = by_source.pop(s.source, [])
        lines.append("")
        lines.append(_source_line(s, posts, normalisation))
        lines.extend(_post_line(c) for c in posts)
    for source, posts in sorted(by_source.items()):  # sources whose every post was dropped
        lines.append("")
        lines.append(f"{source_label(source)}: no post counted")
        lines.extend(_post_line(c) for c in posts)
    parts = " + ".join(f"{SHORT_LABELS.get(s.source, s.source)} {number(round(s.points, 1))}"
                       for s in rp.by_source)
    lines.append("")
    lines.append(f"score = {parts} = {number(rp.score)}")
    return lines


def explain_to_dict(e: Explanation) -> dict[str, Any]:
    """The explanation as JSON-ready data."""
    d, rp = e.digest, e.paper
    return {
        "arxiv_id": rp.paper.arxiv_id,
        "title": rp.paper.title,
        "date": d.date.isoformat(),
        "rank": rp.rank,
        "of": len(d.papers),
        "score": rp.score,
        "imported": e.imported,
        "counting": None if e.imported else d.meta_value(META_COUNTING, ""),
        "normalisation": None if e.imported else d.meta_value(META_NORMALISATION, "none"),
        "sources": sources_to_dict(rp.by_source),
        "posts": [
            {"source": c.mention.source, "url": c.mention.url, "author": _who(c),
             "reposts": c.mention.reposts, "likes": c.mention.likes, "counted": c.counted,
             "factor": c.factor, "points": round(c.points, 2), "rule": c.rule,
             "reason": c.reason}
            for c in e.posts
        ],
    }
