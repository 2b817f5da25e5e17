"""A channel's subscription in the chat grammar's words, and back: `parse_subscription_words`
applies `cs.LG stat.ML keyword:diffusion -author:Doe min:100 max:10` to a subscription,
`describe` says in one line what it delivers. Input is bounded (`bot.guard`): at most
20 distinct categories, 20 values per filter. Pure functions."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.arxiv.taxonomy import taxonomy
from bot.errors import UsageError
from bot.guard import MAX_CATEGORIES, MAX_FILTER_VALUES
from bot.models import Subscription, ViewSpec

CADENCES = ("daily", "weekly", "monthly")
FILTER_KEYS = {
    "keyword": "include_keywords",
    "-keyword": "exclude_keywords",
    "author": "include_authors",
    "-author": "exclude_authors",
}


def category_code(word: str) -> str:
    """A category or archive as stored and shown (`cs.cv` -> `cs.CV`, `CS` -> `cs`);
    UnknownCategoryError (one line, with suggestions) when it is neither."""
    tax = taxonomy()
    return word.strip().lower() if tax.is_archive(word) else tax.canonical(word)


def shown(word: str) -> str:
    return word if len(word) <= 40 else word[:40] + "…"


def cap(what: str, values: Sequence[str], limit: int) -> None:
    """UsageError (one line) when `values` holds more than `limit` of `what`."""
    if len(values) > limit:
        hint = " (an archive like cs covers all of its categories)" \
            if what == "categories" else ""
        raise UsageError(f"That is {len(values)} {what}; ask for at most {limit} {what} at "
                         f"once{hint}.")


def parse_subscription_words(
    words: Sequence[str], base: Subscription
) -> Subscription:
    """Apply `cs.LG stat.ML keyword:diffusion -author:Doe min:100 max:10 weekly` to
    `base`: categories and filters are added, min/max replaced, cadence words (daily,
    weekly, monthly) replace the channel's cadences."""
    cats = list(base.categories)
    lists: dict[str, list[str]] = {f: list(getattr(base, f)) for f in FILTER_KEYS.values()}
    min_score, max_papers = base.min_score, base.max_papers
    cadences: list[str] = []
    for word in words:
        key, sep, value = word.partition(":")
        key = key.lower()
        if not sep and key in CADENCES:
            if key not in cadences:
                cadences.append(key)
        elif sep and key in FILTER_KEYS:
            if not value:
                raise UsageError(f"'{shown(word)}' has no value; type it like {key}:diffusion")
            target = lists[FILTER_KEYS[key]]
            if value not in target:
                target.append(value)
            cap(f"{key}: values", target, MAX_FILTER_VALUES)
        elif sep and key in ("min", "max"):
            if not (value.isascii() and value.isdigit()) or len(value) > 9:
                raise UsageError(f"'{shown(word)}' needs a whole number, like {key}:10")
            if key == "min":
                min_score = int(value)
            else:
                max_papers = int(value) or None
        elif sep:
            raise UsageError(
                f"Unknown filter '{shown(key)}:'; use keyword:, -keyword:, author:, -author:, "
                "min: or max:")
        else:
            code = category_code(word)
            if code not in cats:
                cats.append(code)
            cap("categories", cats, MAX_CATEGORIES)
    return dataclasses.replace(
        base,
        categories=tuple(cats),
        min_score=min_score,
        max_papers=max_papers,
        include_keywords=tuple(lists["include_keywords"]),
        exclude_keywords=tuple(lists["exclude_keywords"]),
        include_authors=tuple(lists["include_authors"]),
        exclude_authors=tuple(lists["exclude_authors"]),
        cadences=tuple(c for c in CADENCES if c in cadences) or base.cadences,
    )


def cadence_words(sub: Subscription) -> str:
    """`daily`, `weekly`, `daily and monthly` ..."""
    names = [c for c in CADENCES if c in sub.cadences] or ["daily"]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def describe_view(spec: ViewSpec, extra: tuple[str, ...] = ()) -> str:
    """`cs.CV`, `the whole digest`, `cs.LG (keywords: diffusion; min score 100)`."""
    what = ", ".join(spec.categories) if spec.categories else "the whole digest"
    extras: list[str] = []
    for values, label in ((spec.include_keywords, "keywords"),
                          (spec.exclude_keywords, "not keywords"),
                          (spec.include_authors, "authors"),
                          (spec.exclude_authors, "not authors")):
        if values:
            extras.append(f"{label}: {', '.join(values)}")
    if spec.min_score:
        extras.append(f"min score {spec.min_score}")
    if spec.max_papers:
        extras.append(f"at most {spec.max_papers} papers")
    extras.extend(extra)
    return what + (f" ({'; '.join(extras)})" if extras else "")


def describe(sub: Subscription) -> str:
    """One line: what a subscription delivers."""
    return describe_view(ViewSpec(
        categories=sub.categories, include_keywords=sub.include_keywords,
        exclude_keywords=sub.exclude_keywords, include_authors=sub.include_authors,
        exclude_authors=sub.exclude_authors, min_score=sub.min_score,
        max_papers=sub.max_papers),
        extra=(f"PAUSED ({sub.pause_reason or 'delivery failed'})",) if sub.paused else ())
