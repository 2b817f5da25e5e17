"""The terminal layout and the failed-source footnote (text and markdown)."""

from __future__ import annotations

import dataclasses

from bot.render.markdown import render_markdown
from bot.render.text import render_text
from tests import factories


def test_layout_without_trailing_spaces_and_the_title_spaced_as_listed() -> None:
    d = factories.digest()
    first = dataclasses.replace(d.papers[0].paper, title="Two  spaces\nand a break")
    d = d.with_papers((dataclasses.replace(d.papers[0], paper=first), *d.papers[1:]))
    text = render_text(d)
    assert text.startswith("Hot Papers 2021-08-06 — 5 papers · cs, stat.ML")
    assert " 1. Two  spaces and a break" in text
    assert "score 600 · X 500 reposts · 100 likes" in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert "could not be reached" not in text


def test_failed_sources_get_a_footnote() -> None:
    d = dataclasses.replace(factories.digest(), sources=("hn",), failed_sources=("bluesky", "x"))
    text = render_text(d)
    assert "failed: Bluesky, X" in text
    assert "Note: Bluesky, X could not be reached" in " ".join(text.split())
    assert "its counts come from Hacker News." in " ".join(text.split())
    md = render_markdown(d)
    assert md.rstrip().endswith("_Note: Bluesky, X could not be reached when this digest was "
                                "counted; its counts come from Hacker News._")


def test_no_source_answered_is_not_said_to_count_from_the_others() -> None:
    d = dataclasses.replace(factories.digest().with_papers(()), sources=(),
                            failed_sources=("hn",), asked=("hn",))
    text = " ".join(render_text(d).split())
    assert "Hacker News could not be reached" in text and "no counts were taken" in text
    assert "other sources" not in text


def test_a_coverage_note_is_not_a_failure() -> None:
    note = "X's recent search reaches back 7 days: 2021-08-09 is out of reach"
    d = dataclasses.replace(factories.digest(), sources=("hn", "hf"), asked=("hn", "hf"),
                            coverage=(note,))
    text = " ".join(render_text(d).split())
    assert f"Not counted: {note}." in text
    assert "failed" not in text and "could not be reached" not in text


def test_empty_digest() -> None:
    text = render_text(factories.digest().with_papers(()))
    assert "0 papers" in text and "No paper got enough attention" in text
