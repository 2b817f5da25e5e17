"""One Hot Papers post -> Digest: fields, mojibake repair, one-line format errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.archive.bundled import sample_digest
from bot.archive.parse import parse_post
from bot.errors import ArchiveFormatError
from bot.render.post_format import META_COUNTED_PREFIX, paper_counted_at
from tests.paths import SAMPLE_POST

SAMPLE = SAMPLE_POST
UTC = dt.UTC


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def test_sample_header_and_first_paper() -> None:
    d = parse_post(sample_text(), SAMPLE.name)
    assert d.date == dt.date(2021, 8, 6)
    assert d.counted_at == dt.datetime(2021, 8, 7, 17, 48, 26, tzinfo=UTC)
    assert d.heading == "Hot Papers 2021-08-06" and d.title == ""
    assert d.sources == ("x",) and d.failed_sources == ()
    assert len(d.papers) == 11 and [p.rank for p in d.papers] == list(range(1, 12))
    top = d.papers[0]
    assert top.paper.arxiv_id == "2108.02774"
    assert top.paper.title == "Sketch Your Own GAN"
    assert top.paper.authors == ("Sheng-Yu Wang", "David Bau", "Jun-Yan Zhu")
    assert top.paper.categories == ("cs.CV", "cs.LG")
    assert top.paper.abstract.startswith("Can a user create a deep generative model")
    assert (top.score, top.reposts, top.likes) == (2842, 2597, 245)
    assert [(s.source, s.reposts, s.likes) for s in top.by_source] == [("x", 2597, 245)]
    scores = [p.score for p in d.papers]
    assert scores == sorted(scores, reverse=True)


def test_titles_keep_their_double_spaces() -> None:
    d = parse_post(sample_text(), SAMPLE.name)
    assert d.papers[1].paper.title == (
        "The AI Economist: Optimal Economic Policy Design via Two-level Deep  "
        "Reinforcement Learning"
    )


def test_embedded_tweet_fields() -> None:
    d = parse_post(sample_text(), SAMPLE.name)
    (m,) = d.papers[0].mentions
    assert m.source == "x"
    assert m.url == "https://twitter.com/ak92501/status/1423445312602099712"
    assert m.arxiv_ids == ("2108.02774",)
    assert (m.author_name, m.author_handle) == ("AK", "ak92501")
    assert m.posted_at == dt.datetime(2021, 8, 6, tzinfo=UTC)
    assert m.language == "en"
    assert m.text.startswith("Sketch Your Own GAN\npdf: https://t.co/RkxmDGnAN4\n")
    assert (m.reposts, m.likes) == (0, 0)  # unknown per tweet in the archive
    assert m.embed_html is not None
    assert m.embed_html.startswith('<blockquote class="twitter-tweet"><p lang="en"')
    assert m.embed_html.endswith('charset="utf-8"></script>')
    assert m.embed_html.count("\n") == 1


def test_non_english_tweet_and_html_entities() -> None:
    d = parse_post(sample_text(), SAMPLE.name)
    (ja,) = d.papers[5].mentions
    assert ja.language == "ja" and ja.author_handle == "ranha"
    assert "arXiv" in ja.text and "<a" not in ja.text
    erbin = d.papers[6].mentions[0]
    assert erbin.author_name == "Harold Erbin"
    assert "#QFT" in erbin.text and "&amp;" not in erbin.text


def test_per_paper_count_stamps_live_in_meta() -> None:
    d = parse_post(sample_text(), SAMPLE.name)
    fifth = d.papers[4].paper.arxiv_id  # counted at 17:48:27, one second after the post
    assert d.meta_value(META_COUNTED_PREFIX + fifth) == "2021-08-07T17:48:27+00:00"
    assert paper_counted_at(d, fifth) == dt.datetime(2021, 8, 7, 17, 48, 27, tzinfo=UTC)
    first = d.papers[0].paper.arxiv_id
    assert d.meta_value(META_COUNTED_PREFIX + first) == ""
    assert paper_counted_at(d, first) == d.counted_at
    assert list(d.meta) == sorted(d.meta)
    assert all("\n# " not in value for _, value in d.meta)  # never the post itself


def test_bundled_sample_is_the_users_digest() -> None:
    parsed = parse_post(sample_text(), SAMPLE.name)
    assert parsed.status == "imported"
    assert sample_digest() == dataclasses.replace(parsed, status="sample")


def test_mojibake_seed_parses_to_the_clean_digest(shared_data: Path) -> None:
    seed = (shared_data / "seed" / "hot-papers-2021-08-06.as-received.md").read_text()
    clean = (shared_data / "hot-papers-archive" / "2021-08-06---Hot-Papers.md").read_text()
    assert "S√∂ren" in seed  # really mojibake
    got = parse_post(seed, "seed.md")
    assert got == parse_post(clean, "clean.md")
    assert "Sören Schwertfeger" in got.papers[3].paper.authors


def test_crlf_and_bom_are_tolerated() -> None:
    text = sample_text()
    assert parse_post("\ufeff" + text.replace("\n", "\r\n"), "x.md") == parse_post(text, "x.md")


def _mutate(old: str, new: str, count: int = 1) -> str:
    text = sample_text()
    assert old in text
    return text.replace(old, new, count)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("title: x\n", 1, "starts with a '---'"),
        ("---\ntitle: Hot Papers 2021-08-06\n", 1, "not closed"),
        ("---\ndate: 2021-08-07T17:48:26.Z\n---\n", 1, "title: Hot Papers YYYY-MM-DD"),
        ("---\ntitle: Hot Papers 2021-08-06\n---\n", 1, "date: YYYY-MM-DDTHH:MM:SS.Z"),
        ("---\ntitle: Hot Papers 2021-13-45\ndate: 2021-08-07T17:48:26.Z\n---\n", 2,
         "not a real date"),
    ],
)
def test_front_matter_errors(text: str, line: int, words: str) -> None:
    with pytest.raises(ArchiveFormatError) as info:
        parse_post(text, "post.md")
    msg = str(info.value)
    assert msg.startswith(f"post.md:{line}: ") and words in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("- retweets: 428, favorites: 70", "- retweets: many, favorites: 70",
         "- retweets: many", "retweets: R, favorites: F"),
        ("(08/07/2021 17:48:26)", "(13/45/2021 17:48:26)", "(13/45/2021", "not a real time"),
        ("[pdf](https://arxiv.org/pdf/2108.02755)", "[pdf](https://arxiv.org/pdf/2108.99999)",
         "- links: [abs](https://arxiv.org/abs/2108.02755)", "with the same ID"),
        ("[cs.MM](https://arxiv.org/list/cs.MM/recent)", "[cs.MM](https://example.com)",
         "[cs.MM](https://example.com)", "bad category link"),
        ("# 3. Token Shift", "## 3. Token Shift", "## 3. Token Shift",
         "expected an embedded tweet"),
        ("Hao Zhang, Yanbin Hao, Chong-Wah Ngo\n\n", "Hao Zhang, Yanbin Hao, Chong-Wah Ngo\n",
         "- retweets: 266", "expected a blank line after the authors"),
        ('<script async src="https://platform.twitter.com/widgets.js" charset="utf-8">'
         "</script>\n\n\n\n\n# 3.", "\n\n\n\n# 3.", '<p lang="en" dir="ltr">The AI Economist',
         "followed by its <script> line"),
    ],
)
def test_body_errors_name_the_line(old: str, new: str, needle: str, words: str) -> None:
    text = _mutate(old, new)
    with pytest.raises(ArchiveFormatError) as info:
        parse_post(text, "hp.md")
    msg = str(info.value)
    line = _line_of(text, needle)
    assert msg.startswith(f"hp.md:{line}: "), msg
    assert words in msg and "\n" not in msg


def test_truncated_post_says_what_was_expected() -> None:
    text = sample_text()
    cut = text[: text.index("- links: [abs](https://arxiv.org/abs/2108.02432)")]
    with pytest.raises(ArchiveFormatError, match=r"^cut\.md:\d+: the post ends where the "
                       r"abs/pdf links was expected$"):
        parse_post(cut.rstrip("\n") + "\n", "cut.md")


def test_the_same_paper_twice_is_an_error() -> None:
    text = sample_text()
    first = text[text.index("# 1. "): text.index("# 2. ")]
    with pytest.raises(ArchiveFormatError, match="listed twice"):
        parse_post(text + "\n" + first.replace("# 1. ", "# 12. "), "dup.md")


def test_a_post_without_papers() -> None:
    head = sample_text().split("\n# 1. ")[0].rstrip("\n") + "\n"
    d = parse_post(head, "empty.md")
    assert d.papers == () and d.date == dt.date(2021, 8, 6)


def test_a_tweet_shared_by_two_papers_links_both() -> None:
    text = sample_text()
    tweet = next(line for line in text.split("\n") if "1423445312602099712" in line)
    script = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8">' \
        "</script>"
    before_4 = f"{script}\n\n\n\n\n# 4. Video Contrastive"
    assert before_4 in text
    text = text.replace(before_4, f"{script}\n\n{tweet}\n{before_4}", 1)  # also under paper 3
    d = parse_post(text, "shared.md")
    shared = [m for p in d.papers for m in p.mentions if m.url.endswith("1423445312602099712")]
    assert len(shared) == 2 and len(d.papers[2].mentions) == 2
    assert all(m.arxiv_ids == ("2108.02774", "2108.02432") for m in shared)
