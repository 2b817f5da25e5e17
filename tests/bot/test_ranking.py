"""The ranking rules on hand-made mentions (thresholds, weights, ties, dedup)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bot.models import Mention, Paper
from bot.ranking import rank, tally, unique_mentions

T0 = dt.datetime(2021, 8, 6, tzinfo=dt.UTC)


def paper(i: str) -> Paper:
    return Paper(i, f"Title {i}", ("A. Author",), ("cs.LG",))


def m(url: str, ids: tuple[str, ...], reposts: int, likes: int, source: str = "x",
      minutes: int = 0) -> Mention:
    return Mention(source, url, ids, reposts=reposts, likes=likes,
                   posted_at=T0 + dt.timedelta(minutes=minutes))


PAPERS = {i: paper(i) for i in ("2108.00001", "2108.00002", "2108.00003", "2108.00004")}


def test_threshold_order_and_numbering() -> None:
    out = rank(
        [
            m("a", ("2108.00001",), 10, 39),  # 49: below the threshold
            m("b", ("2108.00002",), 10, 40),  # 50: listed
            m("c", ("2108.00003",), 100, 1),
            m("d", ("2108.00003",), 1, 1),
        ],
        PAPERS,
    )
    assert [(p.rank, p.paper.arxiv_id, p.score) for p in out] == [
        (1, "2108.00003", 103),
        (2, "2108.00002", 50),
    ]
    assert out[0].reposts == 101 and out[0].likes == 2


def test_ties_broken_by_arxiv_id_ascending() -> None:
    out = rank([m("x", ("2108.00004",), 30, 30), m("y", ("2108.00002",), 60, 0)], PAPERS)
    assert [p.paper.arxiv_id for p in out] == ["2108.00002", "2108.00004"]


def test_posts_shown_over_threshold_and_top_post_always() -> None:
    out = rank(
        [
            m("small1", ("2108.00001",), 5, 15, minutes=1),  # 20: top post, shown anyway
            m("small2", ("2108.00001",), 5, 14),
            m("small3", ("2108.00001",), 5, 14),
        ],
        PAPERS,
    )
    assert [x.url for x in out[0].mentions] == ["small1"]
    out = rank(
        [m("big", ("2108.00001",), 20, 20), m("mid", ("2108.00001",), 5, 20),
         m("low", ("2108.00001",), 5, 19)],
        PAPERS,
    )
    assert [x.url for x in out[0].mentions] == ["big", "mid"]


def test_unlisted_papers_ignored_and_multi_paper_posts_count_for_each() -> None:
    out = rank([m("p", ("2108.00001", "2108.00002", "9999.99999"), 50, 50)], PAPERS)
    assert [p.paper.arxiv_id for p in out] == ["2108.00001", "2108.00002"]


def test_weights_and_by_source() -> None:
    ms = [m("h", ("2108.00001",), 0, 30, source="hn"), m("x1", ("2108.00001",), 5, 5)]
    assert rank(ms, PAPERS) == ()  # 40 < 50
    out = rank(ms, PAPERS, weights={"hn": 2.0})
    assert out[0].score == 70
    assert [(s.source, s.reposts, s.likes) for s in out[0].by_source] == [
        ("hn", 0, 30), ("x", 5, 5)]


def test_same_post_counted_once_with_its_highest_counts() -> None:
    ms = [m("dup", ("2108.00001",), 10, 30), m("dup", ("2108.00001",), 10, 45)]
    assert len(unique_mentions(ms)) == 1
    assert rank(ms, PAPERS)[0].score == 55


@given(st.lists(st.tuples(st.sampled_from(sorted(PAPERS)), st.integers(0, 80),
                          st.integers(0, 80)), max_size=30))
def test_scores_sum_and_order_invariants(rows: list[tuple[str, int, int]]) -> None:
    ms = [m(f"u{i}", (pid,), r, lk) for i, (pid, r, lk) in enumerate(rows)]
    out = rank(ms, PAPERS)
    totals = {k: v.score for k, v in tally(ms).items()}
    assert all(p.score == totals[p.paper.arxiv_id] >= 50 for p in out)
    assert {p.paper.arxiv_id for p in out} == {k for k, v in totals.items() if v >= 50}
    keys = [(-p.score, p.paper.arxiv_id) for p in out]
    assert keys == sorted(keys)
    assert [p.rank for p in out] == list(range(1, len(out) + 1))
