"""`import_paths`: whole archive, idempotence, malformed files, the mojibake seed, the
bundled sample; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.archive.bundled import sample_digest
from bot.archive.importer import import_paths
from bot.archive.parse import parse_post
from bot.store import Store
from bot.store import schema as t
from tests.paths import SAMPLE_POST

SAMPLE = SAMPLE_POST
TABLES = (t.digests, t.papers, t.digest_papers, t.mentions, t.digest_mentions)


async def row_counts(store: Store) -> dict[str, int]:
    async with store.engine.connect() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in TABLES
        }


async def test_the_whole_archive_then_again(archive_dir: Path, sqlite_store: Store) -> None:
    seen: list[tuple[str, int, int]] = []
    first = await import_paths(sqlite_store, [archive_dir],
                               progress=lambda *step: seen.append(step))
    assert first.errors == [] and first.files == 279
    assert len(first.imported) == 279 and first.unchanged == 0
    assert (first.papers, first.mentions) == (3209, 3595)  # the archive README's figures
    assert first.summary() == ("imported 279 posts (3209 papers, 3595 mentions), "
                               "0 unchanged, 0 errors")
    reading = [done for stage, done, _ in seen if stage == "reading"]
    assert reading == list(range(1, 280))
    assert seen[-1] == ("saving", 279, 279)
    counts = await row_counts(sqlite_store)
    assert counts["digests"] == 279 and counts["digest_papers"] == 3209
    assert counts["digest_mentions"] == 3595
    before = {d: await sqlite_store.get_digest(d) for d in first.imported}

    again = await import_paths(sqlite_store, [archive_dir])
    assert again.imported == [] and again.unchanged == 279 and again.errors == []
    assert await row_counts(sqlite_store) == counts
    assert {d: await sqlite_store.get_digest(d) for d in first.imported} == before


async def test_the_mojibake_seed_is_the_clean_digest(
    shared_data: Path, sqlite_store: Store
) -> None:
    seed = shared_data / "seed" / "hot-papers-2021-08-06.as-received.md"
    clean = shared_data / "hot-papers-archive" / "2021-08-06---Hot-Papers.md"
    first = await import_paths(sqlite_store, [seed])
    assert first.imported == [dt.date(2021, 8, 6)]
    report = await import_paths(sqlite_store, [clean])
    assert report.imported == [] and report.unchanged == 1
    stored = await sqlite_store.get_digest(dt.date(2021, 8, 6))
    assert stored == parse_post(clean.read_text(), clean.name)


async def test_a_bad_file_is_one_line_and_the_rest_still_imports(
    tmp_path: Path, sqlite_store: Store
) -> None:
    folder = tmp_path / "posts"
    (folder / "nested").mkdir(parents=True)
    shutil.copy(SAMPLE, folder / "nested" / SAMPLE.name)
    text = SAMPLE.read_text(encoding="utf-8")
    other = text.replace("2021-08-06", "2021-08-05")
    (folder / "2021-08-05.md").write_text(other, encoding="utf-8")
    broken = text.replace("- retweets: 266, favorites: 98", "- retweets: lots", 1)
    (folder / "broken.md").write_text(broken, encoding="utf-8")
    (folder / "latin1.md").write_bytes("---\ntitle: Hot Papers caf\xe9\n".encode("latin-1"))
    (folder / "notes.txt").write_text("not a post")  # not *.md: ignored in folders

    report = await import_paths(sqlite_store, [folder, tmp_path / "missing"])
    assert sorted(report.imported) == [dt.date(2021, 8, 5), dt.date(2021, 8, 6)]
    line = text[: text.index("- retweets: 266")].count("\n") + 1
    assert sorted(report.errors) == sorted([
        f"{folder / 'broken.md'}:{line}: expected '- retweets: R, favorites: F "
        "(MM/DD/YYYY HH:MM:SS)'",
        f"{folder / 'latin1.md'}:2: not UTF-8 text",
        f"{tmp_path / 'missing'}: no such file or folder",
    ])
    assert all("\n" not in e for e in report.errors)
    assert report.summary().endswith("0 unchanged, 3 errors")
    assert await sqlite_store.digest_dates() == [dt.date(2021, 8, 5), dt.date(2021, 8, 6)]


async def test_a_changed_post_replaces_the_stored_digest_with_replace(
    tmp_path: Path, sqlite_store: Store
) -> None:
    await import_paths(sqlite_store, [SAMPLE])
    changed = SAMPLE.read_text(encoding="utf-8").replace(
        "- retweets: 2597, favorites: 245", "- retweets: 2600, favorites: 245")
    path = tmp_path / "changed.md"
    path.write_text(changed, encoding="utf-8")
    refused = await import_paths(sqlite_store, [path])
    assert refused.imported == [] and refused.errors == [
        f"{path}: 2021-08-06: stored 11 papers, this file has 11 with other content: "
        "not replaced; add --replace"]
    stored = await sqlite_store.get_digest(dt.date(2021, 8, 6))
    assert stored is not None and stored.papers[0].score == 2842
    report = await import_paths(sqlite_store, [path], replace=True)
    assert report.imported == [dt.date(2021, 8, 6)] and report.unchanged == 0
    stored = await sqlite_store.get_digest(dt.date(2021, 8, 6))
    assert stored is not None and stored.papers[0].score == 2845
    assert (await row_counts(sqlite_store))["digest_papers"] == 11


async def test_archive_days_on_any_store(archive_dir: Path, any_store: Store) -> None:
    # Two days listing the same paper with different categories, one with a tweet shown
    # twice under a paper, one without papers, the one with two blank lines at the top.
    names = ["2020-06-29", "2020-09-17", "2020-10-29", "2020-11-03", "2020-12-07", "2021-08-06"]
    files = [archive_dir / f"{n}---Hot-Papers.md" for n in names]
    report = await import_paths(any_store, files)
    assert report.errors == [] and len(report.imported) == 6
    from bot.render.markdown import render_markdown

    for f in files:
        text = f.read_text(encoding="utf-8")
        stored = await any_store.get_digest(dt.date.fromisoformat(f.name[:10]))
        assert stored == parse_post(text, f.name)
        assert stored is not None and render_markdown(stored) == text
    again = await import_paths(any_store, files)
    assert again.unchanged == 6 and again.imported == []


async def test_the_sample_is_demo_data_never_stored(sqlite_store: Store) -> None:
    sample = sample_digest()
    assert sample.status == "sample" and len(sample.papers) == 11
    assert sample.papers[0].paper.title == "Sketch Your Own GAN"
    with pytest.raises(ValueError, match="never stored"):
        await sqlite_store.save_digest(sample)
    assert await sqlite_store.digest_dates() == []
    # importing its post as a user would stores it as an imported digest
    report = await import_paths(sqlite_store, [SAMPLE])
    stored = await sqlite_store.get_digest(sample.date)
    assert report.imported == [sample.date] and stored is not None
    assert stored.status == "imported" and stored.papers == sample.papers


async def test_rows_stored_before_the_snapshot_column_read_from_papers(any_store: Store) -> None:
    digest = parse_post(SAMPLE.read_text(encoding="utf-8"), SAMPLE.name)
    await any_store.save_digest(digest)
    async with any_store.engine.begin() as conn:
        await conn.execute(t.digest_papers.update().values(paper=None))
    assert await any_store.get_digest(digest.date) == digest
