"""Full-text search over the papers listed in digests: title, authors and abstract.

SQLite: the FTS5 table `papers_fts` (porter stemmer, ranked by bm25 with the title
weighted most); PostgreSQL: the generated tsvector column `papers.search` (english
configuration, ranked by ts_rank_cd). Both take the same query language, the one web
search boxes use: words (all must match), "quoted phrases", -excluded words and OR.
Migration 0006 creates both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from bot.models import Paper
from bot.store import schema as t
from bot.store.store import Store

MAX_QUERY_CHARS = 200
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


class BadSearchError(ValueError):
    """A query with nothing to search for; the message says what to type instead."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A paper that matches, with the days it was listed and its best score."""

    paper: Paper
    dates: tuple[dt.date, ...]  # newest first
    best_score: int


@dataclass(frozen=True, slots=True)
class SearchPage:
    query: str
    hits: tuple[SearchHit, ...]
    total: int
    offset: int


def _fts5_phrase(words: list[str]) -> str:
    return '"' + " ".join(words) + '"'


def fts5_query(query: str) -> str:
    """`query` in FTS5's syntax, every term quoted (user input can't inject operators).
    Raises BadSearchError when there is no word to look for."""
    groups: list[list[str]] = [[]]  # OR of ANDed terms
    excluded: list[str] = []
    for m in _TOKEN.finditer(query):
        negative, phrase, bare = m.group(1), m.group(2), m.group(3)
        if bare is not None and bare.lower() == "or":
            groups.append([])
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negative, bare = "-", bare[1:]
        words = _WORD.findall(phrase if phrase is not None else bare or "")
        if not words:
            continue
        term = _fts5_phrase(words)
        (excluded if negative else groups[-1]).append(term)
    positive = [" AND ".join(g) for g in groups if g]
    if not positive:
        raise BadSearchError(
            f"'{query.strip()}' has no word to search for; type words from a title, an "
            "author or an abstract, for example: diffusion transformer")
    expr = " OR ".join(f"({p})" for p in positive)
    if excluded:
        expr = f"({expr}) NOT ({' OR '.join(excluded)})"
    return expr


_SQLITE = """
WITH hits AS (
    SELECT p.arxiv_id, bm25(papers_fts, 10.0, 4.0, 1.0) AS relevance
    FROM papers_fts JOIN papers AS p ON p.rowid = papers_fts.rowid
    WHERE papers_fts MATCH :q
      AND EXISTS (SELECT 1 FROM digest_papers AS dp WHERE dp.arxiv_id = p.arxiv_id)
)
SELECT arxiv_id, relevance, count(*) OVER () AS total FROM hits
ORDER BY relevance, arxiv_id LIMIT :limit OFFSET :offset
"""

_POSTGRES = """
WITH q AS (SELECT websearch_to_tsquery('english', :q) AS query),
hits AS (
    SELECT p.arxiv_id, ts_rank_cd(p.search, q.query) AS relevance
    FROM papers AS p, q
    WHERE p.search @@ q.query
      AND EXISTS (SELECT 1 FROM digest_papers AS dp WHERE dp.arxiv_id = p.arxiv_id)
)
SELECT arxiv_id, relevance, count(*) OVER () AS total FROM hits
ORDER BY relevance DESC, arxiv_id LIMIT :limit OFFSET :offset
"""


async def search_papers(store: Store, query: str, *, limit: int = 25, offset: int = 0
                        ) -> SearchPage:
    """The papers matching `query`, most relevant first. Raises BadSearchError (one
    line) on a query without words or longer than MAX_QUERY_CHARS."""
    query = " ".join(query.split())
    if len(query) > MAX_QUERY_CHARS:
        raise BadSearchError(
            f"the search is {len(query)} characters long; keep it under {MAX_QUERY_CHARS}")
    matched = fts5_query(query)  # validates the query on both backends
    if store.dialect == "postgresql":
        sql, q = _POSTGRES, query
    else:
        sql, q = _SQLITE, matched
    async with store.engine.connect() as conn:
        params = {"q": q, "limit": limit, "offset": offset}
        rows: Sequence[Any] = (await conn.execute(text(sql), params)).all()
        ids = [r[0] for r in rows]
        total = int(rows[0][2]) if rows else 0
        dp = t.digest_papers
        listed: Sequence[Any] = (await conn.execute(
            select(dp.c.arxiv_id, dp.c.date, dp.c.score).where(dp.c.arxiv_id.in_(ids))
        )).all() if ids else []
    papers = await store.get_papers(ids)
    days: dict[str, list[tuple[dt.date, int]]] = {}
    for arxiv_id, date, score in listed:
        days.setdefault(arxiv_id, []).append((date, score))
    hits = tuple(
        SearchHit(
            paper=papers[i],
            dates=tuple(sorted((d for d, _ in days.get(i, [])), reverse=True)),
            best_score=max((s for _, s in days.get(i, [])), default=0),
        )
        for i in ids if i in papers
    )
    return SearchPage(query=query, hits=hits, total=total, offset=offset)

