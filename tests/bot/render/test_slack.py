"""Block Kit rendering: content of the parent and the replies, escaping, and Slack's
limits for any input (hypothesis)."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.archive.bundled import sample_digest as bundled_sample
from bot.models import Mention, Paper, RankedPaper
from bot.render.slack import (
    check_limits,
    empty_message,
    escape,
    link,
    paper_message,
    parent_message,
)
from tests.adapters.slack.helpers import ranked, sample_digest
from tests.fakes.slack_api import block_problems


def all_text(message: dict) -> str:  # type: ignore[type-arg]
    return json.dumps(message["blocks"], ensure_ascii=False)


def test_parent_has_header_count_categories_sources_and_failures() -> None:
    digest = replace(sample_digest(11), sources=("x", "hn"), failed_sources=("bluesky",))
    msg = parent_message(digest, notes=("built on demand from Hacker News",))
    assert msg["blocks"][0] == {"type": "header", "text": {
        "type": "plain_text", "text": "Hot Papers 2021-08-06", "emoji": True}}
    text = all_text(msg)
    assert "*11 papers*" in text and "cs, stat.ML" in text
    assert "X, Hacker News" in text and "failed: Bluesky" in text
    assert "built on demand from Hacker News" in text
    assert msg["text"] == "Hot Papers 2021-08-06: 11 papers (cs, stat.ML)"
    assert check_limits(msg) == []


def test_parent_of_a_filtered_view_names_its_categories() -> None:
    digest = replace(sample_digest(2), categories_filter=("cs.CV",))
    assert "(cs.CV)" in parent_message(digest)["text"]


def test_empty_digest_says_so() -> None:
    digest = replace(sample_digest(0), categories_filter=("cs.CV",))
    msg = parent_message(digest)
    assert msg == empty_message(digest)
    assert "no papers in cs.CV" in msg["text"]
    assert check_limits(msg) == []


def test_paper_reply_has_every_part() -> None:
    digest = bundled_sample()
    first = digest.papers[0]
    msg = paper_message(digest, first)
    text = all_text(msg)
    assert msg["text"].startswith(
        "1. Sketch Your Own GAN (score 2,842 · X 2,597 reposts · 245 likes)")
    assert "<https://arxiv.org/abs/2108.02774|Sketch Your Own GAN>" in text
    assert "Sheng-Yu Wang, David Bau, Jun-Yan Zhu" in text
    assert "*score 2,842* · X 2,597 reposts · 245 likes" in text
    assert "<https://arxiv.org/abs/2108.02774|abs> | <https://arxiv.org/pdf/2108.02774|pdf>" in text
    assert "<https://arxiv.org/list/cs.CV/recent|cs.CV>" in text
    assert "<https://arxiv.org/list/cs.LG/recent|cs.LG>" in text
    assert "Can a user create a deep generative model" in text
    assert "twitter.com/ak92501/status/1423445312602099712" in text
    assert check_limits(msg) == []


def test_long_abstract_is_shortened_with_a_link() -> None:
    long = ranked(1, abstract_words=1000)
    msg = paper_message(sample_digest(1), long)
    section = msg["blocks"][2]["text"]["text"]
    assert len(section) < 1400
    assert section.endswith("|read more>")
    short = paper_message(sample_digest(1), ranked(1, abstract_words=10))
    assert "read more" not in all_text(short)


def test_mrkdwn_is_escaped_and_links_survive_pipes() -> None:
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert link("https://x", "a|b") == "<https://x|a∣b>"
    msg = paper_message(sample_digest(1), ranked(1, title="A <b>|bold</b> & title"))
    head = msg["blocks"][0]["text"]["text"]
    assert "&lt;b&gt;∣bold&lt;/b&gt; &amp; title" in head


def test_per_source_counts_when_several_sources() -> None:
    from bot.models import SourceCount

    p = replace(ranked(1), by_source=(SourceCount("x", 10, 50), SourceCount("hn", 0, 80)))
    p = replace(p, score=140)
    assert "*score 140* · X 10 reposts · 50 likes — HN 80 points" in all_text(
        paper_message(sample_digest(1), p))


def test_many_papers_parent_list_is_cut_with_a_count() -> None:
    digest = sample_digest(120)
    msg = parent_message(digest)
    assert check_limits(msg) == []
    assert block_problems(dict(msg)) is None
    assert "more in the thread" in all_text(msg)


text_st = st.text(min_size=0, max_size=6000)


@settings(max_examples=60, deadline=None)
@given(title=text_st, abstract=text_st, authors=st.lists(st.text(max_size=80), max_size=600),
       cats=st.lists(st.sampled_from(["cs.CV", "cs.LG", "stat.ML", "hep-th", "math.NA"]),
                     max_size=20),
       post=text_st, heading=st.text(max_size=400))
def test_any_paper_fits_slack_limits(title: str, abstract: str, authors: list[str],
                                     cats: list[str], post: str, heading: str) -> None:
    paper = Paper("2108.00001", title or "t", tuple(authors), tuple(cats), abstract)
    mention = Mention(source="x", url="https://x.com/a/status/1", arxiv_ids=("2108.00001",),
                      author_name=post[:300], text=post, reposts=1, likes=2)
    rp = RankedPaper(rank=1, paper=paper, score=3, reposts=1, likes=2, mentions=(mention,))
    digest = replace(sample_digest(0), papers=(rp,), title=heading,
                     failed_sources=tuple(cats), categories_filter=tuple(cats))
    for msg in (paper_message(digest, rp), parent_message(digest, notes=(post, abstract))):
        assert check_limits(msg) == [], check_limits(msg)
        assert block_problems(dict(msg)) is None
        assert msg["text"].strip()
