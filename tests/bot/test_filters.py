from __future__ import annotations

from bot.filters import by_categories, view
from bot.models import Subscription
from tests import factories


def ids(d):  # type: ignore[no-untyped-def]
    return [p.paper.arxiv_id[-1] for p in d.papers]


def test_category_alias_and_archive() -> None:
    d = factories.digest()
    assert ids(by_categories(d, ["cs.NA"])) == ["4"]  # cs.NA is math.NA
    assert ids(by_categories(d, ["econ.GN"])) == ["2"]
    assert ids(by_categories(d, ["cs"])) == ["1", "2", "3", "4", "5"]
    assert ids(by_categories(d, ["cs.CL", "stat.ML"])) == ["3", "5"]
    assert [p.rank for p in by_categories(d, ["cs.CL", "stat.ML"]).papers] == [1, 2]


def test_keywords_authors_score_and_max() -> None:
    d = factories.digest()
    sub = Subscription("slack", "C", include_keywords=("problem 3", "problem 4"))
    assert ids(view(d, sub)) == ["3", "4"]
    sub = Subscription("slack", "C", exclude_authors=("author 1",), max_papers=2)
    assert ids(view(d, sub)) == ["2", "3"]
    sub = Subscription("slack", "C", min_score=500)
    assert ids(view(d, sub)) == ["1", "2"]
