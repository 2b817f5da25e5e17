"""`hotpapers digest` and `hotpapers categories` on a fresh store (the bundled sample)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def hp(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_demo_prints_the_bundled_digest() -> None:
    code, out, _ = hp("digest", "2021-08-06", "--no-build")
    assert code == 0, out
    assert "Hot Papers 2021-08-06 — 11 papers" in out
    first = out.index(" 1. Sketch Your Own GAN")
    assert first < out.index(" 2. The AI Economist")
    assert "score 2,842 · X 2,597 reposts · 245 likes" in out
    assert "https://arxiv.org/abs/2108.02774" in out and "[cs.CV] [cs.LG]" in out


def test_json_shape() -> None:
    code, out, _ = hp("digest", "latest", "--format", "json", "--no-build")
    assert code == 0
    data = json.loads(out)
    assert data["date"] == "2021-08-06" and len(data["papers"]) == 11
    top = data["papers"][0]
    assert {k: top[k] for k in ("rank", "arxiv_id", "score", "reposts", "likes")} == {
        "rank": 1, "arxiv_id": "2108.02774", "score": 2842, "reposts": 2597, "likes": 245}
    assert top["authors"] == ["Sheng-Yu Wang", "David Bau", "Jun-Yan Zhu"]
    assert top["primary_category"] == "cs.CV" and top["pdf_url"].endswith("2108.02774")
    scores = [p["score"] for p in data["papers"]]
    assert scores == sorted(scores, reverse=True)


def test_category_filter_markdown_and_top() -> None:
    code, out, _ = hp("digest", "2021-08-06", "-c", "cs.CV", "--format", "markdown", "--no-build")
    assert code == 0
    assert out.startswith("---\ntitle: Hot Papers 2021-08-06")
    assert "# 1. Sketch Your Own GAN" in out and "The AI Economist" not in out
    code, out, _ = hp("digest", "2021-08-06", "--top", "2", "--format", "json", "--no-build")
    assert [p["rank"] for p in json.loads(out)["papers"]] == [1, 2]


def test_archive_name_and_alias() -> None:
    code, out, _ = hp("digest", "2021-08-06", "-c", "econ.GN", "--format", "json", "--no-build")
    assert code == 0
    assert [p["arxiv_id"] for p in json.loads(out)["papers"]] == ["2108.02755"]
    code, out, _ = hp("digest", "2021-08-06", "-c", "cs", "--format", "json", "--no-build")
    assert len(json.loads(out)["papers"]) == 11


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("digest", "2021-13-45"), "not a real date"),
        (("digest", "2021-08-07", "--no-build"),
         "No digest for 2021-08-07 (arXiv announces nothing on Saturdays); no digest is stored "
         "yet"),
        (("digest", "2021-08-06", "-c", "cs.XX", "--no-build"), "Did you mean"),
        (("categories", "zzzz"), "no arXiv category matches"),
    ],
)
def test_errors_are_one_line(args: tuple[str, ...], expected: str) -> None:
    code, out, err = hp(*args)
    assert code == 2
    assert expected in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1


def test_categories_lists_all_155() -> None:
    code, out, _ = hp("categories")
    assert code == 0 and "155 categories" in out and "Computer Vision" in out
    code, out, _ = hp("categories", "vision")
    assert "cs.CV" in out and "1 category" in out
