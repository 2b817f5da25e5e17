"""Issue 12, import: `hotpapers import` never loses a stored day and never crashes. Every
bad file is one line `FILE:LINE: problem` and the other files still import; a post that
would change a stored day is refused without --replace; two files for one day in one run
are an error naming both; a line number never points past the end of the file; the
mojibake of 4-byte emoji is repaired (or the line reported)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.paths import SAMPLE_POST

runner = CliRunner()
TEXT = SAMPLE_POST.read_text(encoding="utf-8")
THREAD = "🧵"  # U+1F9F5, four bytes in UTF-8 (F0 9F A7 B5)
TWEET_TEXT = "Sketch Your Own GAN<br>pdf:"


def hp(*args: str) -> tuple[int, str, str]:
    r = runner.invoke(app, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r.exit_code, r.stdout, r.stderr


def errors(err: str) -> list[str]:
    assert "Traceback" not in err
    return [line.removeprefix("error: ") for line in err.splitlines()]


def stored_papers(date: str = "2021-08-06") -> int:
    code, out, _ = hp("export", "--date", date, "-f", "json")
    assert code == 0
    return len(json.loads(out)["papers"])


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def cut_after_paper(n: int) -> str:
    """The sample post ending after its paper `n` (a paper boundary): a valid, short post."""
    return TEXT[: TEXT.index(f"\n# {n + 1}. ")].rstrip("\n") + "\n\n\n"


@pytest.mark.parametrize("digits", ["99999999999999999999", "9" * 5000])
def test_a_count_too_large_is_one_line_and_the_other_files_import(tmp_path: Path,
                                                                  digits: str) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text(TEXT.replace("- retweets: 2597,", f"- retweets: {digits},", 1),
                   encoding="utf-8")
    good = tmp_path / "good.md"
    good.write_text(TEXT.replace("2021-08-06", "2021-08-05"), encoding="utf-8")
    code, out, err = hp("import", str(bad), str(good))
    assert code == 1
    line = line_of(TEXT, "- retweets: 2597,")
    shown = digits if len(digits) <= 24 else f"{digits[:12]}… (5000 digits)"
    assert errors(err) == [f"{bad}:{line}: retweets {shown} is too large to store "
                           "(at most 2147483647)"]
    assert out.strip() == "imported 1 post (11 papers, 11 mentions), 0 unchanged, 1 error"
    assert stored_papers("2021-08-05") == 11


def test_a_post_cut_short_never_shrinks_a_stored_day(tmp_path: Path) -> None:
    assert hp("import", str(SAMPLE_POST))[0] == 0
    cut = tmp_path / "2021-08-06-cut.md"
    cut.write_text(cut_after_paper(3), encoding="utf-8")
    code, out, err = hp("import", str(cut))
    assert code == 1
    assert errors(err) == [f"{cut}: 2021-08-06: stored 11 papers, this file has 3: not "
                           "replaced; add --replace"]
    assert out.strip() == "imported 0 posts (0 papers, 0 mentions), 0 unchanged, 1 error"
    assert stored_papers() == 11
    code, out, err = hp("import", "--replace", str(cut))
    assert code == 0, err
    assert stored_papers() == 3


def test_two_files_for_one_day_are_an_error_naming_both(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(TEXT, encoding="utf-8")
    (tmp_path / "b.md").write_text(cut_after_paper(5), encoding="utf-8")
    (tmp_path / "c.md").write_text(TEXT.replace("2021-08-06", "2021-08-05"), encoding="utf-8")
    code, out, err = hp("import", str(tmp_path))
    assert code == 1
    assert errors(err) == [f"{tmp_path / 'a.md'}: 2021-08-06: also in {tmp_path / 'b.md'} with "
                           "other content: two files for one day, neither imported; import "
                           "one of them"]
    assert out.strip().startswith("imported 1 post (11 papers")
    code, _, err = hp("export", "--date", "2021-08-06")
    assert code == 2 and "no digest for 2021-08-06" in err  # neither
    # the same post twice (a copy) is no clash: imported once
    (tmp_path / "b.md").write_text(TEXT, encoding="utf-8")
    code, out, err = hp("import", str(tmp_path / "a.md"), str(tmp_path / "b.md"))
    assert code == 0, err
    assert out.strip() == "imported 1 post (11 papers, 11 mentions), 1 unchanged, 0 errors"


def test_no_error_line_points_past_the_end_of_the_file(tmp_path: Path) -> None:
    lines = TEXT.split("\n")
    wrong = []
    for n in range(1, len(lines)):  # every cut at a line boundary, with its newline
        part = "\n".join(lines[:n]) + "\n"
        path = tmp_path / f"cut{n}.md"
        path.write_text(part, encoding="utf-8")
        code, _, err = hp("import", "--replace", str(path))
        if code == 0:
            continue
        (line,) = errors(err)
        m = re.match(rf"^{re.escape(str(path))}:(\d+): ", line)
        assert m, line
        if not 1 <= int(m[1]) <= part.count("\n"):
            wrong.append(f"cut after line {n}: error on line {m[1]}")
    assert wrong == []


# UTF-8 read as Mac Roman, or as Windows-1252 the way Windows and browsers do (the five
# bytes cp1252 leaves undefined become the C1 controls: ftfy's "sloppy" codec)
@pytest.mark.parametrize("codec", ["mac_roman", "sloppy-windows-1252"])
def test_emoji_mojibake_is_repaired(tmp_path: Path, codec: str) -> None:
    import ftfy.bad_codecs  # noqa: F401  (registers the sloppy codecs)

    clean = TEXT.replace(TWEET_TEXT, f"{THREAD} {TWEET_TEXT}", 1)
    garbled = clean.encode("utf-8").decode(codec)
    assert THREAD not in garbled
    path = tmp_path / "mojibake.md"
    path.write_text(garbled, encoding="utf-8")
    code, _, err = hp("import", str(path))
    assert code == 0, err
    code, out, _ = hp("export", "--date", "2021-08-06")
    assert out == clean  # repaired, byte for byte


def test_a_line_that_cannot_be_repaired_is_reported(tmp_path: Path) -> None:
    broken = TEXT.replace(TWEET_TEXT, f"\ufffd\ufffd {TWEET_TEXT}", 1)  # bytes already lost
    path = tmp_path / "lost.md"
    path.write_text(broken, encoding="utf-8")
    code, _, err = hp("import", str(path))
    assert code == 1
    (line,) = errors(err)
    assert line.startswith(f"{path}:{line_of(broken, TWEET_TEXT)}: garbled text (mojibake) "
                           "that could not be repaired")
