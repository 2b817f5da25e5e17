"""Fair counting: which posts linking a paper count, and how much. Pure, no I/O.

The seed (the blog) counted every post in full: `PLAIN`. Live builds count fairly by
default (`FairRules()`), as Altmetric does:

- **one account counts once** per paper per source: its most engaged post counts, its
  other posts about the same paper don't (rule `same-account`);
- **auto-posters are counted down** by `auto_factor`: the accounts named in
  `auto_posters` (`x:handle`, `bluesky:handle`, or a bare handle for every source), and
  any account that posted more than `auto_min_papers` distinct papers in the window with
  fewer than `auto_max_attention` reposts + likes per post on average (rule
  `auto-poster`);
- **self posts**: with `count_self_posts` off, a post whose author is one of the paper's
  authors (same name, case and accents aside) does not count (rule `self-post`).

Each post linking a listed paper becomes a `CountedPost` with its factor (1 in full,
0 not counted, in between counted down), its points (factor x (reposts + likes), before
the source's weight) and, when a rule changed it, the rule and a one-line reason.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.models import SOURCE_LABELS, CountedPost, Mention, Paper
from bot.settings import Settings

SAME_ACCOUNT, AUTO_POSTER, SELF_POST = "same-account", "auto-poster", "self-post"
# Digest.meta keys of a built digest: how it was counted (`explain` shows them).
META_COUNTING, META_NORMALISATION, META_WEIGHTS = "counting", "normalisation", "weights"


@dataclass(frozen=True, slots=True)
class FairRules:
    """The fair-counting rules (see the module docstring); `PLAIN` turns them all off."""

    one_account_once: bool = True
    auto_posters: frozenset[str] = field(default_factory=frozenset)
    auto_rule: bool = True
    auto_min_papers: int = 10
    auto_max_attention: float = 3.0
    auto_factor: float = 0.1
    count_self_posts: bool = True

    @property
    def is_plain(self) -> bool:
        return (not self.one_account_once and not self.auto_posters and not self.auto_rule
                and self.count_self_posts)

    def describe(self) -> str:
        """One line: what these rules do (`explain` and the digest's meta show it)."""
        if self.is_plain:
            return "every post counted in full (the seed's rule)"
        parts = []
        if self.one_account_once:
            parts.append("one account once per paper and source")
        if self.auto_posters or self.auto_rule:
            rule = (f"more than {self.auto_min_papers} papers at under "
                    f"{self.auto_max_attention:g} reposts + likes a post"
                    if self.auto_rule else "")
            listed = f"{len(self.auto_posters)} listed" if self.auto_posters else ""
            which = " and ".join(x for x in (listed, rule) if x)
            parts.append(f"auto-posters ({which}) x{self.auto_factor:g}")
        parts.append("self posts " + ("counted" if self.count_self_posts else "not counted"))
        return "; ".join(parts)


PLAIN = FairRules(one_account_once=False, auto_rule=False)


def account(m: Mention) -> str:
    """Who posted `m` on its source (the handle, case aside); a post without a known
    author is its own account."""
    handle = m.author_handle.strip().lstrip("@").casefold()
    return handle if handle and handle != "i/web" else "post:" + m.url


def _who(m: Mention) -> str:
    handle = m.author_handle.strip().lstrip("@")
    return f"@{handle}" if handle else (m.author_name or "an unknown account")


def _label(source: str) -> str:
    return SOURCE_LABELS.get(source, source)


def person_key(name: str) -> str:
    """A name compared across spellings: `Sören  Müller` and `soren muller` match."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    letters = "".join(c if c.isalnum() else " " for c in plain.casefold())
    return " ".join(letters.split())


def _listed_auto_poster(m: Mention, names: frozenset[str]) -> bool:
    handle = m.author_handle.strip().lstrip("@").casefold()
    return bool(handle) and (handle in names or f"{m.source}:{handle}" in names)


def auto_posters(mentions: Iterable[Mention], rules: FairRules) -> dict[tuple[str, str], str]:
    """(source, account) -> why it counts as an auto-poster in this window."""
    names = frozenset(n.strip().lstrip("@").casefold().replace(":@", ":")
                      for n in rules.auto_posters)
    papers: dict[tuple[str, str], set[str]] = defaultdict(set)
    attention: dict[tuple[str, str], list[int]] = defaultdict(list)
    out: dict[tuple[str, str], str] = {}
    for m in mentions:
        key = (m.source, account(m))
        if names and key not in out and _listed_auto_poster(m, names):
            out[key] = f"{_who(m)} is on the auto-poster list (HOTPAPERS_AUTO_POSTERS)"
        papers[key].update(m.arxiv_ids)
        attention[key].append(m.attention)
    if rules.auto_rule:
        for key, ids in papers.items():
            if key in out or key[1].startswith("post:") or len(ids) <= rules.auto_min_papers:
                continue
            mean = sum(attention[key]) / len(attention[key])
            if mean < rules.auto_max_attention:
                out[key] = (f"@{key[1]} posted {len(ids)} papers in the window with "
                            f"{mean:.1f} reposts + likes a post on average (auto-poster "
                            f"rule: more than {rules.auto_min_papers} papers, under "
                            f"{rules.auto_max_attention:g})")
    return out


def count_posts(
    mentions: Iterable[Mention],
    papers: Mapping[str, Paper] | None = None,
    rules: FairRules = PLAIN,
) -> dict[str, list[CountedPost]]:
    """Every post linking each paper, counted by `rules`: arXiv id -> posts, most
    points first. Only papers in `papers` count when it is given. `mentions` must be
    unique per post (`bot.ranking.unique_mentions`)."""
    posts = list(mentions)
    plain = rules.is_plain
    autos = {} if plain else auto_posters(posts, rules)
    accounts = {} if plain else {id(m): account(m) for m in posts}
    best: dict[tuple[str, str, str], Mention] = {}
    linked: dict[str, list[Mention]] = defaultdict(list)
    for m in posts:
        for arxiv_id in dict.fromkeys(m.arxiv_ids):
            if papers is not None and arxiv_id not in papers:
                continue
            linked[arxiv_id].append(m)
            if rules.one_account_once:
                key = (arxiv_id, m.source, accounts[id(m)])
                old = best.get(key)
                if old is None or _more_engaged(m, old):
                    best[key] = m
    out: dict[str, list[CountedPost]] = {}
    for arxiv_id, ms in linked.items():
        if plain:
            counted = [CountedPost(arxiv_id, m, 1.0, float(m.attention)) for m in ms]
        else:
            paper = papers.get(arxiv_id) if papers is not None else None
            authors = {person_key(a) for a in paper.authors} \
                if paper and not rules.count_self_posts else set()
            counted = [_rule(arxiv_id, m, accounts[id(m)], best, autos, authors, rules)
                       for m in ms]
        counted.sort(key=lambda c: (-c.points, -c.mention.attention, c.mention.url))
        out[arxiv_id] = counted
    return out


def _more_engaged(m: Mention, old: Mention) -> bool:
    """`m` beats `old` as an account's post: more attention, then the earlier post."""
    if m.attention != old.attention:
        return m.attention > old.attention
    a = m.posted_at.timestamp() if m.posted_at else 0.0
    b = old.posted_at.timestamp() if old.posted_at else 0.0
    return (a, m.url) < (b, old.url)


def _rule(arxiv_id: str, m: Mention, who: str, best: Mapping[tuple[str, str, str], Mention],
          autos: Mapping[tuple[str, str], str], authors: set[str], rules: FairRules
          ) -> CountedPost:
    if rules.one_account_once:
        kept = best[(arxiv_id, m.source, who)]
        if kept is not m:
            return CountedPost(arxiv_id, m, 0.0, 0.0, SAME_ACCOUNT,
                               f"{_who(m)} already counts for this paper on "
                               f"{_label(m.source)} with its most engaged post ({kept.url})")
    if authors and m.author_name and person_key(m.author_name) in authors:
        return CountedPost(arxiv_id, m, 0.0, 0.0, SELF_POST,
                           f"posted by {m.author_name}, an author of the paper "
                           "(HOTPAPERS_COUNT_SELF_POSTS=false)")
    why = autos.get((m.source, who))
    if why is not None:
        f = rules.auto_factor
        return CountedPost(arxiv_id, m, f, f * m.attention, AUTO_POSTER,
                           f"{why}: counted at x{f:g}")
    return CountedPost(arxiv_id, m, 1.0, float(m.attention))


def fair_rules(settings: Settings) -> FairRules:
    """The fair-counting rules the settings ask for (`PLAIN` with fair counting off;
    the self-post rule applies either way)."""
    if not settings.fair_counting:
        return FairRules(one_account_once=False, auto_rule=False,
                         count_self_posts=settings.count_self_posts)
    return FairRules(
        one_account_once=True,
        auto_posters=frozenset(settings.auto_posters),
        auto_rule=settings.auto_poster_rule,
        auto_min_papers=settings.auto_poster_min_papers,
        auto_max_attention=settings.auto_poster_max_attention,
        auto_factor=settings.auto_poster_factor,
        count_self_posts=settings.count_self_posts,
    )
