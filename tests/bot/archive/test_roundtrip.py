"""Every archive post renders back byte for byte: straight from the parser, and from the
stored fields after an import into a fresh SQLite store. Filtered views keep the format."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.archive.bundled import sample_digest
from bot.archive.importer import import_paths
from bot.archive.parse import parse_post
from bot.filters import by_categories
from bot.models import Digest, Mention, Paper, RankedPaper, SourceCount
from bot.render.markdown import render_markdown
from bot.store import Store
from tests.paths import SAMPLE_POST

SAMPLE = SAMPLE_POST


def _first_difference(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a.split("\n"), b.split("\n"), strict=False), start=1):
        if x != y:
            return f"line {i}: {x[:60]!r} != {y[:60]!r}"
    return f"lengths {len(a)} != {len(b)}"


def posts(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.md"))


def test_every_archive_post_renders_back_byte_for_byte(archive_dir: Path) -> None:
    files = posts(archive_dir)
    assert len(files) == 279
    wrong = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        got = render_markdown(parse_post(text, f.name))
        if got != text:
            wrong.append(f"{f.name}: {_first_difference(got, text)}")
    assert wrong == []


async def test_every_post_round_trips_through_the_store(
    archive_dir: Path, sqlite_store: Store
) -> None:
    report = await import_paths(sqlite_store, [archive_dir])
    assert report.errors == [] and len(report.imported) == 279
    wrong = []
    for f in posts(archive_dir):
        text = f.read_text(encoding="utf-8")
        parsed = parse_post(text, f.name)
        stored = await sqlite_store.get_digest(parsed.date)
        assert stored is not None, f.name
        if stored != parsed:
            wrong.append(f"{f.name}: stored digest differs from the parsed one")
        elif render_markdown(stored) != text:
            wrong.append(f"{f.name}: {_first_difference(render_markdown(stored), text)}")
    assert wrong == []


async def test_a_paper_keeps_its_categories_of_each_day(
    archive_dir: Path, sqlite_store: Store
) -> None:
    # 2010.14680 was listed in cs.LG on 2020-10-29 and cross-listed to stat.ML by 2020-11-03
    files = [archive_dir / "2020-10-29---Hot-Papers.md", archive_dir / "2020-11-03---Hot-Papers.md"]
    await import_paths(sqlite_store, files)
    for day, cats in ((dt.date(2020, 10, 29), ("cs.LG",)),
                      (dt.date(2020, 11, 3), ("cs.LG", "stat.ML"))):
        digest = await sqlite_store.get_digest(day)
        assert digest is not None
        (paper,) = [p.paper for p in digest.papers if p.paper.arxiv_id == "2010.14680"]
        assert paper.categories == cats
    newest = await sqlite_store.get_papers(["2010.14680"])
    assert newest["2010.14680"].categories == ("cs.LG", "stat.ML")


def _sections(post: str) -> list[str]:
    """The per-paper sections of a post, without their `# N. ` heading number."""
    return [s.split(". ", 1)[1] for s in post.split("\n# ")[1:]]


def test_a_filtered_view_renders_just_its_papers_renumbered() -> None:
    full = sample_digest()
    text = SAMPLE.read_text(encoding="utf-8")
    view = by_categories(full, ["cs.CV"])
    out = render_markdown(view)
    cv = [p for p in full.papers if "cs.CV" in p.paper.categories]
    assert 0 < len(cv) < len(full.papers)
    assert out.startswith(text.split("\n# 1. ")[0])  # the same front matter
    headings = [line for line in out.split("\n") if line.startswith("# ")]
    assert headings == [f"# {i}. {p.paper.title}" for i, p in enumerate(cv, start=1)]
    wanted = {p.paper.title for p in cv}
    originals = [s for s in _sections("\n" + text) if s.split("\n", 1)[0] in wanted]
    assert _sections("\n" + out) == originals  # each section exactly as in the post
    assert out.endswith("</script>\n\n\n\n")


def test_an_empty_view_renders_the_front_matter_only() -> None:
    full = sample_digest()
    out = render_markdown(full.with_papers(()))
    assert out.endswith("socialImage: \"/media/flying-marine.jpg\"\n\n---\n")
    assert "# 1." not in out


def test_a_mention_without_embed_html_gets_a_generated_one() -> None:
    full = sample_digest()
    hn = Mention(source="hn", url="https://news.ycombinator.com/item?id=1", arxiv_ids=("x",),
                 author_name="pg", author_handle="pg", text="a <b> & c\nnext",
                 posted_at=dt.datetime(2021, 8, 6, tzinfo=dt.UTC), likes=120)
    top = replace(full.papers[0], mentions=(hn,))
    out = render_markdown(full.with_papers((top,)))
    assert ('<blockquote class="twitter-tweet"><p dir="ltr">a &lt;b&gt; &amp; c<br>next</p>'
            '&mdash; pg (@pg) <a href="https://news.ycombinator.com/item?id=1">August 6, 2021'
            "</a></blockquote>\n\n\n\n") in out
    assert "widgets.js" not in out  # the script line is for X posts only


# --- any digest the format can hold survives render -> parse ------------------------
# Printable ASCII and real non-ASCII text (not Latin-1 look-alikes: text that reads as
# mojibake would be "repaired" on the way in, by design).
_ALPHABET = "".join(c for c in map(chr, range(33, 127)) if c not in "<>|[]()\\,") + \
    "éüößçñøåαβγδλ学習深層🦀—…"
_word = st.text(st.sampled_from(_ALPHABET), min_size=1, max_size=12)
_line = st.lists(_word, min_size=1, max_size=6).map(" ".join)
_category = st.sampled_from(["cs.LG", "cs.CV", "stat.ML", "math.NA", "hep-th", "q-bio.NC"])


@st.composite
def _digests(draw: st.DrawFn) -> Digest:
    counted = draw(st.datetimes(min_value=dt.datetime(2020, 1, 1),
                                max_value=dt.datetime(2030, 1, 1))).replace(microsecond=0,
                                                                            tzinfo=dt.UTC)
    papers = []
    for rank, n in enumerate(draw(st.lists(st.integers(10000, 99999), unique=True,
                                           max_size=4)), start=1):
        reposts, likes = draw(st.integers(0, 9999)), draw(st.integers(0, 9999))
        handle = draw(st.from_regex(r"[A-Za-z0-9_]{1,15}", fullmatch=True))
        mention = Mention(
            source="x", url=f"https://twitter.com/{handle}/status/{n}{rank}",
            arxiv_ids=(f"2108.{n}",), author_name=draw(_line), author_handle=handle,
            posted_at=counted.replace(hour=0, minute=0, second=0), text=draw(_line),
            language="en",
        )
        paper = Paper(arxiv_id=f"2108.{n}", title=draw(_line),
                      authors=tuple(draw(st.lists(_line, min_size=1, max_size=3))),
                      categories=tuple(draw(st.lists(_category, min_size=1, max_size=3,
                                                     unique=True))),
                      abstract=draw(st.one_of(st.just(""), _line)))
        papers.append(RankedPaper(rank=rank, paper=paper, score=reposts + likes,
                                  reposts=reposts, likes=likes,
                                  mentions=(mention,) * draw(st.integers(0, 2)),
                                  by_source=(SourceCount("x", reposts, likes),)))
    return Digest(date=counted.date(), papers=tuple(papers), counted_at=counted,
                  sources=("x",))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_digests())
def test_rendered_digests_parse_back(digest: Digest) -> None:
    text = render_markdown(digest)
    back = parse_post(text, "generated.md")
    assert render_markdown(back) == text
    assert [p.paper for p in back.papers] == [p.paper for p in digest.papers]
    assert [(p.rank, p.reposts, p.likes) for p in back.papers] == [
        (p.rank, p.reposts, p.likes) for p in digest.papers]
    assert back.counted_at == digest.counted_at and back.date == digest.date
    for ours, theirs in zip(back.papers, digest.papers, strict=True):
        assert [(m.url, m.author_handle, m.text) for m in ours.mentions] == [
            (m.url, m.author_handle, m.text) for m in theirs.mentions]
