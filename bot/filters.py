"""Which papers of a digest a channel sees: categories (aliases and whole archives),
keyword and author filters, a minimum score and a maximum count. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bot.arxiv.taxonomy import taxonomy
from bot.models import Digest, RankedPaper, Subscription


def wanted_categories(codes: Iterable[str]) -> frozenset[str]:
    """Canonical categories for user input (`cs`, `cs.NA`, `stat.ML`); raises
    UnknownCategoryError (one-line message with suggestions) on a bad one."""
    return taxonomy().expand_all(codes)


def in_categories(paper: RankedPaper, wanted: frozenset[str]) -> bool:
    tax = taxonomy()
    return any(tax.normalise(c) in wanted for c in paper.paper.categories)


def _contains_any(haystack: str, needles: Iterable[str]) -> bool:
    h = haystack.casefold()
    return any(n.casefold() in h for n in needles)


def matches(paper: RankedPaper, sub: Subscription, wanted: frozenset[str] | None = None) -> bool:
    p = paper.paper
    if wanted is None and sub.categories:
        wanted = wanted_categories(sub.categories)
    if wanted and not in_categories(paper, wanted):
        return False
    if paper.score < sub.min_score:
        return False
    text = f"{p.title}\n{p.abstract}"
    authors = "\n".join(p.authors)
    if sub.include_keywords and not _contains_any(text, sub.include_keywords):
        return False
    if sub.exclude_keywords and _contains_any(text, sub.exclude_keywords):
        return False
    if sub.include_authors and not _contains_any(authors, sub.include_authors):
        return False
    return not (sub.exclude_authors and _contains_any(authors, sub.exclude_authors))


def view(digest: Digest, sub: Subscription) -> Digest:
    """The channel's view of `digest`: its papers only, renumbered from 1."""
    wanted = wanted_categories(sub.categories) if sub.categories else None
    kept = tuple(p for p in digest.papers if matches(p, sub, wanted))
    if sub.max_papers is not None:
        kept = kept[: sub.max_papers]
    out = digest.with_papers(kept)
    if sub.categories:
        out = replace(out, categories_filter=tuple(sub.categories))
    return out


def by_categories(digest: Digest, categories: Iterable[str]) -> Digest:
    cats = tuple(categories)
    if not cats:
        return digest
    return view(digest, Subscription(platform="", channel="", categories=cats))
