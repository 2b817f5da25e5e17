"""The arXiv category taxonomy: 155 active categories, aliases, archives.

Loaded once from the bundled `bot/data/arxiv_categories.json` (derived from
arXiv's own `arxiv-base` taxonomy definitions).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.errors import UnknownCategoryError


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    archive: str
    archive_name: str
    group_name: str
    alias_of: str | None


@dataclass(frozen=True, slots=True)
class Taxonomy:
    categories: dict[str, Category]
    aliases: dict[str, str]  # alias -> canonical, both directions handled by `canonical`
    subsumed: dict[str, str]  # legacy archive -> category

    def canonical(self, code: str) -> str:
        """The canonical spelling of a known category (case-insensitive, aliases resolved).

        Raises UnknownCategoryError with a suggestion when `code` is not a category.
        """
        found = self._lookup().get(code.strip().lower())
        if found is None:
            raise UnknownCategoryError(self._unknown_message(code))
        return found

    def expand(self, code: str) -> frozenset[str]:
        """Every canonical category `code` stands for: a category (with its alias
        partner), or a whole archive (`cs`, `math`, `stat`)."""
        key = code.strip().lower()
        archive = self._archives().get(key)
        if archive is not None:
            return frozenset(
                self.canonical(c.code) for c in self.categories.values() if c.archive == archive
            ) | frozenset(self.canonical(c) for c in self.aliases if c.split(".")[0] == archive)
        return frozenset({self.canonical(code)})

    def expand_all(self, codes: Iterable[str]) -> frozenset[str]:
        out: set[str] = set()
        for code in codes:
            out |= self.expand(code)
        return frozenset(out)

    def normalise(self, code: str) -> str:
        """A category as it should be displayed and stored: canonical when known, otherwise
        unchanged (old papers carry categories the active taxonomy no longer lists)."""
        try:
            return self.canonical(code)
        except UnknownCategoryError:
            return code

    def is_archive(self, code: str) -> bool:
        return code.strip().lower() in self._archives()

    def search(self, query: str = "") -> list[Category]:
        q = query.strip().lower()
        return [
            c
            for c in sorted(self.categories.values(), key=lambda c: c.code)
            if not q or q in c.code.lower() or q in c.name.lower() or q in c.archive_name.lower()
        ]

    def suggest(self, code: str, n: int = 3) -> list[str]:
        names = sorted(self.categories) + sorted(self._archives_display())
        by_lower = {x.lower(): x for x in names}
        close = difflib.get_close_matches(code.strip().lower(), list(by_lower), n=n, cutoff=0.5)
        return [by_lower[c] for c in close]

    def _unknown_message(self, code: str) -> str:
        hints = self.suggest(code)
        hint = f" Did you mean {', '.join(hints)}?" if hints else ""
        return (
            f"Unknown arXiv category '{code}'.{hint} "
            "Type `hotpapers categories` (or `/hot help`) to list them."
        )

    @cache  # noqa: B019 - the taxonomy is a process-wide singleton
    def _lookup(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for code in self.categories:
            table[code.lower()] = self.aliases.get(code, code)
        for legacy, target in self.subsumed.items():
            table.setdefault(legacy.lower(), target)
        return table

    @cache  # noqa: B019
    def _archives(self) -> dict[str, str]:
        return {c.archive.lower(): c.archive for c in self.categories.values()
                if c.archive != c.code}

    @cache  # noqa: B019
    def _archives_display(self) -> frozenset[str]:
        return frozenset(self._archives().values())

    def __hash__(self) -> int:
        return id(self)


@cache
def taxonomy() -> Taxonomy:
    raw = json.loads(
        resources.files("bot").joinpath("data/arxiv_categories.json").read_text("utf-8")
    )
    cats = {
        code: Category(
            code=code,
            name=v["name"],
            archive=v["archive"],
            archive_name=v["archive_name"],
            group_name=v["group_name"],
            alias_of=v.get("alias_of"),
        )
        for code, v in raw["categories"].items()
    }
    return Taxonomy(
        categories=cats,
        aliases=dict(raw["category_aliases_alias_to_canonical"]),
        subsumed=dict(raw["archives_subsumed"]),
    )
