"""`hotpapers import` and `hotpapers export` through typer's CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.paths import SAMPLE_POST

SAMPLE = SAMPLE_POST
runner = CliRunner()


def hp(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.stdout, r.stderr


def test_import_reports_and_fails_on_a_bad_file_but_imports_the_rest(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / SAMPLE.name)
    (tmp_path / "bad.md").write_text("---\ntitle: nothing\n", encoding="utf-8")
    code, out, err = hp("import", str(tmp_path))
    assert code == 1
    assert out.strip() == "imported 1 post (11 papers, 11 mentions), 0 unchanged, 1 error"
    assert err.strip() == f"error: {tmp_path / 'bad.md'}:1: the front matter is not closed " \
        "by a '---' line"
    code, out, _ = hp("import", str(tmp_path / SAMPLE.name))
    assert code == 0
    assert out.strip() == "imported 0 posts (0 papers, 0 mentions), 1 unchanged, 0 errors"


def test_import_archive_posts_and_export_them_back(archive_dir: Path, tmp_path: Path) -> None:
    names = ("2020-06-29", "2020-12-07", "2021-01-19")
    files = [str(archive_dir / f"{name}---Hot-Papers.md") for name in names]
    code, out, _ = hp("import", *files)
    assert code == 0 and out.startswith("imported 3 posts (")
    for name in names:
        target = tmp_path / f"{name}.md"
        code, _, err = hp("export", "--date", name, "-o", str(target))
        assert code == 0 and err.strip() == f"wrote {target}"
        assert target.read_bytes() == (archive_dir / f"{name}---Hot-Papers.md").read_bytes()


def imported_sample() -> None:
    code, out, _ = hp("import", str(SAMPLE))  # a fresh store holds no digest
    assert code == 0, out


def test_export_on_an_empty_store_says_there_is_none_yet_and_what_to_do() -> None:
    for args in ([], ["--date", "2021-08-06"]):  # the bundled sample is not in the store
        code, out, err = hp("export", *args)
        assert code == 2 and out == ""
        assert err.startswith("error: no digest") and "stored yet" in err
        assert "hotpapers build" in err and "hotpapers import PATH" in err
        assert len(err.strip().splitlines()) == 1


def test_export_markdown_to_stdout() -> None:
    imported_sample()
    code, out, _ = hp("export", "--date", "2021-08-06")
    assert code == 0
    assert out == SAMPLE.read_text(encoding="utf-8")
    code, latest, _ = hp("export")  # --date defaults to latest
    assert code == 0 and latest == out


def test_export_a_category_view_as_markdown_and_json() -> None:
    imported_sample()
    code, md, _ = hp("export", "-d", "2021-08-06", "--category", "cs.NA")  # alias of math.NA
    assert code == 0
    headings = [line for line in md.split("\n") if line.startswith("# ")]
    assert headings == ["# 1. FMMformer: Efficient and Flexible Transformer via Decomposed "
                        "Near-field  and Far-field Attention"]
    code, js, _ = hp("export", "-d", "2021-08-06", "-f", "json", "-c", "cs.CV", "-c", "cs.PL")
    assert code == 0
    papers = json.loads(js)["papers"]
    assert [p["rank"] for p in papers] == list(range(1, len(papers) + 1))
    assert all({"cs.CV", "cs.PL"} & set(p["categories"]) for p in papers)
    assert "Accelerating XOR-based Erasure Coding" in js


def test_export_text() -> None:
    imported_sample()
    code, out, _ = hp("export", "-d", "2021-08-06", "--format", "text")
    assert code == 0
    assert "Sketch Your Own GAN" in out and "score 2,842" in out
    assert "<blockquote" not in out


def test_export_errors_are_one_line() -> None:
    imported_sample()
    code, _, err = hp("export", "--date", "2021-08-07")
    assert code == 2
    assert err.strip() == ("error: no digest for 2021-08-07; nearest stored: 2021-08-06 "
                           "(try --date 2021-08-06)")
    code, _, err = hp("export", "--date", "2021-13-45")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "YYYY-MM-DD" in err
    code, _, err = hp("export", "--date", "2021-08-06", "--category", "cs.XX")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cs.XX" in err
    code, _, err = hp("export", "-d", "2021-08-06", "-o", "/nonexistent/dir/out.md")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "cannot write" in err
    code, _, err = hp("export", "-f", "pdf")
    assert code == 2 and "pdf" in err
