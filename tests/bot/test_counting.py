"""Fair counting on hand-made posts: one account once, auto-posters counted down (listed
and by the rule), self posts, and the seed's rule untouched when the rules are off;
per-source normalisation by rank."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.counting import AUTO_POSTER, PLAIN, SAME_ACCOUNT, SELF_POST, FairRules, person_key
from bot.models import Mention, Paper
from bot.ranking import rank, tally

T0 = dt.datetime(2021, 8, 6, tzinfo=dt.UTC)
A, B = "2108.00001", "2108.00002"
PAPERS = {A: Paper(A, "A paper", ("Sören Müller", "Ada Lovelace"), ("cs.LG",)),
          B: Paper(B, "B paper", ("Grace Hopper",), ("cs.CV",))}
FAIR = FairRules()


def post(n: int, who: str, likes: int, ids: tuple[str, ...] = (A,), source: str = "x",
         reposts: int = 0, name: str = "") -> Mention:
    return Mention(source, f"https://x.com/{who}/status/{n}", ids, author_name=name or who,
                   author_handle=who, posted_at=T0 + dt.timedelta(minutes=n), likes=likes,
                   reposts=reposts)


def test_one_account_counts_once_per_paper_and_source_with_its_most_engaged_post() -> None:
    ms = [post(i, "alice", 10 + i) for i in range(5)] + [post(9, "bob", 30)]
    t = tally(ms, listed=PAPERS, rules=FAIR)[A]
    assert t.score == 14 + 30
    counted = [c for c in t.posts if c.counted]
    assert [c.mention.url for c in counted] == ["https://x.com/bob/status/9",
                                                "https://x.com/alice/status/4"]
    dropped = [c for c in t.posts if not c.counted]
    assert len(dropped) == 4 and {c.rule for c in dropped} == {SAME_ACCOUNT}
    assert "https://x.com/alice/status/4" in dropped[0].reason
    assert t.by_source["x"].posts == 2
    # the same account on another source counts there too; handles match case aside
    ms.append(post(20, "ALICE", 7, source="bluesky"))
    assert tally(ms, listed=PAPERS, rules=FAIR)[A].score == 14 + 30 + 7
    # the seed's rule counts all of them
    assert tally(ms, listed=PAPERS)[A].score == sum(10 + i for i in range(5)) + 30 + 7


def test_a_listed_auto_poster_is_counted_down() -> None:
    rules = FairRules(auto_posters=frozenset({"x:@ArxivBot", "otherbot"}), auto_factor=0.25)
    ms = [post(1, "arxivbot", 40), post(2, "carol", 20), post(3, "otherbot", 8, source="hn")]
    t = tally(ms, listed=PAPERS, rules=rules)[A]
    assert t.score == 40 * 0.25 + 20 + 8 * 0.25
    bot = next(c for c in t.posts if c.mention.author_handle == "arxivbot")
    assert bot.rule == AUTO_POSTER and bot.factor == 0.25
    assert "auto-poster list" in bot.reason and "x0.25" in bot.reason


def test_the_auto_poster_rule_finds_accounts_posting_everything_with_no_engagement() -> None:
    ids = [f"2108.{i:05d}" for i in range(1, 15)]
    papers = {i: Paper(i, i, (), ()) for i in ids}
    spam = [post(n, "feedbot", 1 if n else 20, ids=(i,)) for n, i in enumerate(ids)]
    busy_human = [post(100 + n, "ak", 40, ids=(i,)) for n, i in enumerate(ids)]
    t = tally(spam + busy_human, listed=papers, rules=FairRules())
    first = t[ids[0]]
    bot = next(c for c in first.posts if c.mention.author_handle == "feedbot")
    assert bot.rule == AUTO_POSTER and bot.factor == pytest.approx(0.1)
    assert "posted 14 papers" in bot.reason and "2.4 reposts + likes a post" in bot.reason
    assert first.score == pytest.approx(40 + 0.1 * 20)
    assert all(c.rule == "" for c in first.posts if c.mention.author_handle == "ak")
    # 10 papers or fewer is not "everything"
    few = tally(spam[:10], listed=papers, rules=FairRules())
    assert all(c.rule == "" for t in few.values() for c in t.posts)


def test_self_posts_count_unless_turned_off() -> None:
    ms = [post(1, "smuller", 60, name="Soren  MULLER"), post(2, "fan", 20)]
    assert person_key("Sören Müller") == person_key("Soren  MULLER") == "soren muller"
    assert tally(ms, listed=PAPERS, rules=FAIR)[A].score == 80
    off = tally(ms, listed=PAPERS, rules=FairRules(count_self_posts=False))[A]
    assert off.score == 20
    own = next(c for c in off.posts if c.rule)
    assert own.rule == SELF_POST and "an author of the paper" in own.reason


def test_plain_rules_are_the_seed() -> None:
    assert PLAIN.is_plain and not FAIR.is_plain
    ms = [post(i, "alice", 20) for i in range(4)]
    assert [p.score for p in rank(ms, PAPERS)] == [80]
    assert [p.score for p in rank(ms, PAPERS, rules=FAIR)] == []  # 20 < 50
    assert PLAIN.describe() == "every post counted in full (the seed's rule)"
    assert FAIR.describe().startswith("one account once per paper and source; auto-posters")


def test_rank_normalisation_maps_each_source_to_its_percentile() -> None:
    ids = [f"2108.{i:05d}" for i in range(1, 5)]
    papers = {i: Paper(i, i, (), ()) for i in ids}
    ms = [
        post(1, "a", 3000, ids=(ids[0],)),  # X's top paper
        post(2, "b", 100, ids=(ids[1],)),
        post(3, "c", 60, ids=(ids[2],)),
        post(4, "h", 150, ids=(ids[3],), source="hn"),  # HN's only (so top) paper
        post(5, "i", 50, ids=(ids[2],), source="hn"),
    ]
    plain = rank(ms, papers)
    assert [p.paper.arxiv_id for p in plain] == [ids[0], ids[3], ids[2], ids[1]]
    ranked = rank(ms, papers, normalisation="rank")
    # X: 3000 -> 100, 100 -> 66.7, 60 -> 33.3; HN: 150 -> 100, 50 -> 50
    assert [(p.paper.arxiv_id, p.score) for p in ranked] == [
        (ids[0], 100), (ids[3], 100), (ids[2], 83), (ids[1], 67)]
    hn = next(s for s in ranked[1].by_source if s.source == "hn")
    assert hn.score == 100 and hn.likes == 150 and hn.posts == 1
    with pytest.raises(ValueError, match="unknown normalisation"):
        tally(ms, normalisation="zscore")
