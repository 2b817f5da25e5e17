"""Full-text search (migration 0006) on SQLite FTS5 and PostgreSQL tsvector: stemming,
phrases, exclusions, OR, authors, ranking by the title, kept in step with new digests,
and bad queries answered in one line; `bot.store.browse` queries of the web archive."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import delete, text

from bot.archive.importer import import_paths
from bot.store import Store
from bot.store import schema as t
from bot.store.browse import (
    day_summaries,
    generation,
    latest_in_categories,
    listing_categories,
    paper_record,
)
from bot.store.migrate import current, head
from bot.store.search import BadSearchError, fts5_query, search_papers

DAYS = ("2021-08-04", "2021-08-05", "2021-08-06", "2020-06-29")
AUG6 = dt.date(2021, 8, 6)


@pytest.fixture
async def store(any_store: Store, archive_dir: Path) -> Store:
    report = await import_paths(any_store, [archive_dir / f"{d}---Hot-Papers.md" for d in DAYS])
    assert report.errors == [] and len(report.imported) == len(DAYS)
    return any_store


async def ids(store: Store, q: str) -> list[str]:
    return [h.paper.arxiv_id for h in (await search_papers(store, q, limit=100)).hits]


async def test_the_store_is_migrated_to_the_head(any_store: Store) -> None:
    async with any_store.engine.connect() as conn:
        assert await conn.run_sync(current) == head()


async def test_words_match_titles_with_stemming(store: Store) -> None:
    # "sketching" finds "Sketch Your Own GAN" (porter / english stemmer), ranked first
    found = await ids(store, "sketching GAN")
    assert found[0] == "2108.02774"
    page = await search_papers(store, "sketch")
    assert page.total >= 1 and page.hits[0].dates == (AUG6,)
    assert page.hits[0].best_score == 2842


async def test_authors_and_abstracts_are_searched(store: Store) -> None:
    assert "2108.02774" in await ids(store, "Jun-Yan Zhu")
    assert "2108.02774" in await ids(store, "cross-domain adversarial loss")  # abstract only


async def test_phrase_exclusion_and_or(store: Store) -> None:
    economist = await ids(store, '"AI Economist"')
    assert economist and all(i != "2108.02774" for i in economist)
    both = set(await ids(store, "economist OR sketch"))
    assert {"2108.02774", *economist} <= both
    gan = set(await ids(store, "GAN"))
    without = set(await ids(store, "GAN -sketch"))
    assert "2108.02774" in gan and "2108.02774" not in without and without < gan


async def test_operators_in_input_are_plain_words(store: Store) -> None:
    # FTS5 syntax characters and SQL must not break the query or inject anything
    for q in ['GAN"', "NEAR(gan", "gan AND", "gan*", "title:gan", "'; DROP TABLE papers; --",
              "a:b:c", "((( gan"]:
        await search_papers(store, q)
    assert (await ids(store, "gan")) == (await ids(store, "GAN*"))
    async with store.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM papers"))).scalar_one() > 0


async def test_nothing_to_search_is_one_line(store: Store) -> None:
    for q in ("", "   ", "-gan", '""', "!!! ???", "((("):
        with pytest.raises(BadSearchError, match="no word to search for"):
            await search_papers(store, q)
    with pytest.raises(BadSearchError, match="keep it under 200"):
        await search_papers(store, "gan " * 100)


async def test_a_newly_stored_digest_is_searchable_and_updates_replace(store: Store) -> None:
    assert await ids(store, "zyxwordnobodyuses") == []
    digest = await store.get_digest(AUG6)
    assert digest is not None
    first = digest.papers[0]
    renamed = dataclasses.replace(first, paper=dataclasses.replace(
        first.paper, title="Sketch a zyxwordnobodyuses today"))
    await store.save_digest(digest.with_papers((renamed, *digest.papers[1:]), renumber=False))
    assert await ids(store, "zyxwordnobodyuses") == ["2108.02774"]
    hit = (await search_papers(store, "zyxwordnobodyuses")).hits[0]
    assert hit.paper.title == "Sketch a zyxwordnobodyuses today"


async def test_paging(store: Store) -> None:
    everything = await search_papers(store, "learning", limit=100)
    assert everything.total == len(everything.hits) > 4
    first = await search_papers(store, "learning", limit=3)
    second = await search_papers(store, "learning", limit=3, offset=3)
    assert first.total == second.total == everything.total
    assert [h.paper.arxiv_id for h in (*first.hits, *second.hits)] == [
        h.paper.arxiv_id for h in everything.hits[:6]]


def test_fts5_query_quotes_every_term() -> None:
    assert fts5_query("sketch GAN") == '("sketch" AND "GAN")'
    assert fts5_query('"ai economist" -deep') == '(("ai economist")) NOT ("deep")'
    assert fts5_query("a or b") == '("a") OR ("b")'


async def test_browse_queries(store: Store) -> None:
    days = await day_summaries(store)
    assert [d.date.isoformat() for d in days] == sorted(DAYS)
    aug6 = next(d for d in days if d.date == AUG6)
    assert aug6.papers == 11 and aug6.top_title == "Sketch Your Own GAN"
    count, newest = await generation(store)
    assert count == len(DAYS) and newest is not None and newest.tzinfo is not None
    async with store.engine.begin() as conn:
        await conn.execute(delete(t.digests).where(t.digests.c.date == dt.date(2020, 6, 29)))
    assert (await generation(store))[0] == len(DAYS) - 1

    cv = latest_in_categories(await listing_categories(store), lambda cats: "cs.CV" in cats,
                              limit=3)
    assert [d for d, _ in cv] == sorted((d for d, _ in cv), reverse=True)
    assert cv[0] == (AUG6, "2108.02774") and len(cv) == 3

    record = await paper_record(store, "2108.02774")
    assert record is not None and record.paper.title == "Sketch Your Own GAN"
    assert [(x.date, x.rank, x.score) for x in record.listings] == [(AUG6, 1, 2842)]
    assert record.mentions and record.mentions[0].author_handle == "ak92501"
    assert await paper_record(store, "9999.99999") is None
