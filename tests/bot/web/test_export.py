"""`hotpapers site -o DIR`: the same pages and feeds as files, through the CLI."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from typer.testing import CliRunner

from bot.archive.importer import import_paths
from bot.cli import app as cli
from bot.settings import get_settings
from bot.store import Store

DAYS = ("2021-08-04", "2021-08-05", "2021-08-06")


@pytest.fixture
async def small_archive(tmp_path: Path, archive_dir: Path, monkeypatch: pytest.MonkeyPatch
                        ) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'small.db'}"
    store = await Store.open(url)
    await import_paths(store, [archive_dir / f"{d}---Hot-Papers.md" for d in DAYS])
    await store.close()
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


def test_site_writes_the_pages_and_feeds(small_archive: str, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["site", "-o", str(out), "--base-url",
                                      "https://papers.example.org/"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("wrote ") and str(out) in result.stdout
    day = (out / "2021-08-06" / "index.html").read_text()
    assert day.count('<article class="paper"') == 11 and "Sketch Your Own GAN" in day
    assert (out / "index.html").read_text() == day
    assert 'role="search"' not in day  # a static host can't search
    assert 'href="/2021-08-05"' in day and (out / "2021-08-05" / "index.html").is_file()
    assert (out / "archive" / "index.html").read_text().count('href="/2021-08-0') == 3
    paper = (out / "p" / "2108.02774" / "index.html").read_text()
    assert "<h1>Sketch Your Own GAN</h1>" in paper
    assert (out / "c" / "cs.CV" / "index.html").is_file() and (out / "c" / "cs" / "index.html"
                                                                ).is_file()
    feed = feedparser.parse((out / "feed.atom").read_bytes())
    assert feed.bozo == 0 and len(feed.entries) == 3
    assert feed.entries[0].link == "https://papers.example.org/2021-08-06"
    category = feedparser.parse((out / "c" / "cs.CV.atom").read_bytes())
    assert category.bozo == 0 and category.entries
    assert (out / "static" / "style.css").is_file() and (out / "404.html").is_file()
    # every root-relative link of the day page is a file of the export
    import re

    for href in set(re.findall(r'href="(/[^"#]*)"', day)):
        target = out / href.lstrip("/")
        assert target.is_file() or (target / "index.html").is_file(), href


def test_site_needs_the_base_url(small_archive: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["site", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "pass --base-url https://papers.example.org" in result.output
    assert "Traceback" not in result.output
