"""Cards that read well, on Slack and Discord alike: the combined score and where it came
from on every card, no "reposts 0 · likes 0" for counts nobody knows, post texts without
raw t.co / pic.twitter.com links, titles spaced as listed, the Discord parent listing the
papers like the Slack parent; and every card within the platforms' limits for any
input (hypothesis)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.archive.bundled import sample_digest as bundled
from bot.models import Mention, SourceCount, Window
from bot.render.common import counts_line, counts_phrase, post_text
from bot.render.discord import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    TITLE_LIMIT,
    embed_size,
    paper_embed,
    parent_embed,
)
from bot.render.slack import check_limits, paper_message, parent_message
from tests.adapters.slack.helpers import sample_digest
from tests.fakes.discord_payloads import check_message
from tests.fakes.slack_api import block_problems

ECONOMIST = "The AI Economist: Optimal Economic Policy Design via Two-level Deep  Reinforcement"


def slack_text(msg: dict) -> str:  # type: ignore[type-arg]
    return json.dumps(msg["blocks"], ensure_ascii=False)


def test_per_source_counts_in_each_sources_own_words() -> None:
    assert counts_phrase("x", 2597, 245) == "2,597 reposts · 245 likes"
    assert counts_phrase("bluesky", 0, 1) == "1 like"
    assert counts_phrase("hn", 0, 120) == "120 points"
    assert counts_phrase("hf", 0, 12) == "12 upvotes"
    assert counts_phrase("x", 0, 0) == ""  # unknown, not "reposts 0 · likes 0"
    p = dataclasses.replace(sample_digest(1).papers[0], by_source=(
        SourceCount("hn", 0, 120, 1), SourceCount("x", 2597, 245, 3)))
    assert counts_line(p) == "HN 120 points — X 2,597 reposts · 245 likes"


def test_archive_cards_show_the_score_and_no_unknown_post_counts() -> None:
    d = bundled()
    top = d.papers[0]
    assert (top.mentions[0].reposts, top.mentions[0].likes) == (0, 0)  # the blog kept none
    slack = slack_text(paper_message(d, top))
    embed = paper_embed(d, top)["description"]
    for card in (slack, embed):
        assert "2,842" in card and "X 2,597 reposts · 245 likes" in card
        assert "reposts 0" not in card and "likes 0" not in card
        assert "t.co/" not in card and "pic.twitter.com" not in card
        assert "Sketch Your Own GAN method can mold GANs to match shapes" in card


def test_post_text_drops_short_links_and_the_labels_they_leave() -> None:
    text = ("Sketch Your Own GAN\npdf: https://t.co/RkxmDGnAN4\nabs: https://t.co/B10d2OQnfr\n"
            "it molds GANs https://t.co/kCyMnxtIuL pic.twitter.com/kCyMnxtIuL")
    assert post_text(text) == "Sketch Your Own GAN it molds GANs"
    assert post_text("see https://arxiv.org/abs/2108.02774 now") == \
        "see https://arxiv.org/abs/2108.02774 now"


def test_titles_keep_their_spacing_on_both_platforms() -> None:
    d = bundled()
    second = d.papers[1]
    assert ECONOMIST in second.paper.title
    assert ECONOMIST in slack_text(paper_message(d, second))
    assert ECONOMIST in paper_embed(d, second)["title"]
    assert ECONOMIST in slack_text(parent_message(d))
    assert ECONOMIST in parent_embed(d)["description"]


def test_the_discord_parent_lists_the_papers_like_the_slack_parent() -> None:
    d = bundled()
    desc = parent_embed(d)["description"]
    assert "1. [Sketch Your Own GAN](https://arxiv.org/abs/2108.02774)" in desc
    assert desc.index("1. [Sketch") < desc.index("2. [The AI Economist")
    assert all(f"{p.rank}. [" in desc for p in d.papers)
    slack = slack_text(parent_message(d))
    assert "1. <https://arxiv.org/abs/2108.02774|Sketch Your Own GAN>" in slack
    # many papers: cut with a count, within the limits, no internal key anywhere
    many = sample_digest(300)
    e = parent_embed(many, notes=("built on demand",))
    assert "more in the thread" in e["description"]
    assert len(e["description"]) <= DESCRIPTION_LIMIT and embed_size(e) <= EMBED_TOTAL_LIMIT
    assert "ref " not in e["footer"]["text"] and check_message({"embeds": [e]}) == ""


def test_window_cards_say_the_window_and_the_day_each_paper_counts_from() -> None:
    w = Window(dt.date(2021, 8, 2), dt.date(2021, 8, 6), "week")
    d = dataclasses.replace(sample_digest(2), window=w)
    d = d.with_papers(tuple(dataclasses.replace(p, listed_on=dt.date(2021, 8, 3))
                            for p in d.papers))
    assert d.heading == "Hot Papers of the week 2021-W31"
    assert "listed 2021-08-03" in slack_text(paper_message(d, d.papers[0]))
    assert "listed 2021-08-03" in paper_embed(d, d.papers[0])["description"]
    empty = d.with_papers(())
    assert "in the week 2021-W31" in parent_embed(empty)["description"]


counts = st.integers(0, 10**7)
source_counts = st.lists(st.builds(SourceCount, st.sampled_from(["x", "bluesky", "hn", "hf"]),
                                   counts, counts, st.integers(0, 10**5)), max_size=6)
text = st.text(max_size=3000)


@settings(max_examples=60, deadline=None)
@given(title=st.text(min_size=1, max_size=600), abstract=text, post=text,
       by_source=source_counts, score=counts, n=st.integers(1, 200),
       listed=st.none() | st.dates(), reposts=counts, likes=counts)
def test_new_cards_fit_both_platforms_limits(title: str, abstract: str, post: str,
                                             by_source: list[SourceCount], score: int, n: int,
                                             listed: dt.date | None, reposts: int,
                                             likes: int) -> None:
    d = sample_digest(n)
    m = Mention("x", "https://x.com/a/status/1", ("2108.02001",), author_name=post[:200],
                text=post + " https://t.co/abc pic.twitter.com/xyz", reposts=reposts,
                likes=likes)
    first = dataclasses.replace(
        d.papers[0], score=score, by_source=tuple(by_source), mentions=(m,), listed_on=listed,
        paper=dataclasses.replace(d.papers[0].paper, title=title, abstract=abstract))
    d = d.with_papers((first, *d.papers[1:]))
    for msg in (paper_message(d, first), parent_message(d, notes=(post,))):
        assert check_limits(msg) == [] and block_problems(dict(msg)) is None
    for e in (paper_embed(d, first), parent_embed(d, notes=(post,))):
        assert len(e["title"]) <= TITLE_LIMIT and len(e["description"]) <= DESCRIPTION_LIMIT
        assert embed_size(e) <= EMBED_TOTAL_LIMIT and check_message({"embeds": [e]}) == ""
        assert "· ref" not in e["footer"]["text"]  # no internal key shown to readers
