"""Discord embeds: content of the parent and paper embeds, and Discord's limits."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.archive.bundled import sample_digest as bundled_digest
from bot.models import Mention
from bot.render.discord import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    THREAD_NAME_LIMIT,
    TITLE_LIMIT,
    embed_size,
    escape_markdown,
    paper_embed,
    parent_embed,
    thread_name,
)
from tests.fakes.discord_api import sample_digest


def test_parent_embed_of_the_sample_day() -> None:
    d = bundled_digest()
    e = parent_embed(d, notes=("built from: X, Hacker News",))
    assert e["title"] == "Hot Papers 2021-08-06"
    assert "**11 papers**" in e["description"] and "cs, stat.ML" in e["description"]
    assert "built from: X, Hacker News" in e["description"]
    assert e["footer"]["text"] == "counted 2021-08-07 17:48 UTC"  # no internal key shown


def test_parent_embed_names_failed_sources_and_a_channels_categories() -> None:
    d = dataclasses.replace(sample_digest(2), sources=("x", "hn"), failed_sources=("bluesky",),
                            categories_filter=("cs.CV",))
    e = parent_embed(d)
    assert "failed: Bluesky" in e["description"] and "categories: cs.CV" in e["description"]
    assert thread_name(d) == "Hot Papers 2021-08-06 · cs.CV"


def test_paper_embed_of_the_top_sample_paper() -> None:
    d = bundled_digest()
    e = paper_embed(d, d.papers[0])
    assert e["title"] == "1. Sketch Your Own GAN"
    assert e["url"] == "https://arxiv.org/abs/2108.02774"
    desc = e["description"]
    assert desc.startswith(
        "Sheng-Yu Wang, David Bau, Jun-Yan Zhu\n**score 2,842** · X 2,597 reposts · 245 likes\n")
    assert "[abs](https://arxiv.org/abs/2108.02774) | [pdf](https://arxiv.org/pdf/2108.02774)" \
        in desc
    assert "[`cs.CV`](https://arxiv.org/list/cs.CV/recent)" in desc
    assert "Top post: [@ak92501 on X](https://twitter.com/ak92501/status/1423445312602099712)" \
        in desc
    assert "Can a user create a deep generative model" in desc
    assert e["footer"]["text"] == "Hot Papers 2021-08-06 · #1 of 11"  # no internal key


def test_markdown_in_abstracts_is_shown_literally() -> None:
    assert escape_markdown("x_1 *and* ~y~ `z` [a](b)") == r"x\_1 \*and\* \~y\~ \`z\` \[a\](b)"


@settings(max_examples=60, deadline=None)
@given(title=st.text(min_size=1, max_size=600), abstract=st.text(max_size=9000),
       authors=st.lists(st.text(max_size=40), max_size=300), post=st.text(max_size=600),
       cats=st.lists(st.sampled_from(["cs.LG", "cs.CV", "stat.ML", "math.ST"]), max_size=12))
def test_every_paper_embed_fits_discords_limits(title: str, abstract: str, authors: list[str],
                                               post: str, cats: list[str]) -> None:
    d = sample_digest(1)
    p = d.papers[0]
    m = Mention("x", "https://x.com/a/status/1", (p.paper.arxiv_id,), text=post, likes=3)
    paper = dataclasses.replace(p, mentions=(m,), paper=dataclasses.replace(
        p.paper, title=title, abstract=abstract, authors=tuple(authors), categories=tuple(cats)))
    e = paper_embed(d.with_papers((paper,)), paper)
    assert len(e["title"]) <= TITLE_LIMIT
    assert len(e["description"]) <= DESCRIPTION_LIMIT
    assert embed_size(e) <= EMBED_TOTAL_LIMIT
    assert e["url"] == p.paper.abs_url
    assert len(thread_name(dataclasses.replace(d, title=title))) <= THREAD_NAME_LIMIT
