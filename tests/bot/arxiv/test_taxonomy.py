from __future__ import annotations

import pytest

from bot.arxiv.taxonomy import taxonomy
from bot.errors import UnknownCategoryError


def test_155_categories_and_aliases() -> None:
    t = taxonomy()
    assert len(t.categories) == 155
    assert t.canonical("cs.NA") == "math.NA"
    assert t.canonical("math.it") == "cs.IT"
    assert t.canonical("cs.SY") == "eess.SY"
    assert t.canonical("chao-dyn") == "nlin.CD"


def test_archive_expands_to_all_its_categories() -> None:
    cs = taxonomy().expand("cs")
    assert "cs.CV" in cs and "math.NA" in cs and "eess.SY" in cs
    assert "stat.ML" not in cs
    assert len(cs) == 40


def test_unknown_category_suggests_close_ones() -> None:
    with pytest.raises(UnknownCategoryError) as err:
        taxonomy().canonical("cs.CVV")
    msg = str(err.value)
    assert "cs.CV" in msg and "\n" not in msg


def test_search_by_name() -> None:
    codes = [c.code for c in taxonomy().search("vision")]
    assert codes == ["cs.CV"]
