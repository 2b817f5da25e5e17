"""`digest_to_dict`: the JSON shape of `hotpapers digest/export --format json`."""

from __future__ import annotations

import json

from bot.archive.bundled import sample_digest
from bot.filters import by_categories
from bot.render.json_render import digest_to_dict


def test_top_level_and_first_paper() -> None:
    data = digest_to_dict(sample_digest())
    assert list(data) == ["date", "counted_at", "sources", "failed_sources", "status",
                          "coverage", "papers"]
    assert data["status"] == "sample" and data["coverage"] == []
    assert data["date"] == "2021-08-06"
    assert data["counted_at"] == "2021-08-07T17:48:26+00:00"
    assert data["sources"] == ["x"] and data["failed_sources"] == []
    assert len(data["papers"]) == 11
    top = data["papers"][0]
    assert list(top) == ["rank", "arxiv_id", "title", "authors", "score", "reposts", "likes",
                         "categories", "primary_category", "abs_url", "pdf_url", "abstract",
                         "sources", "mentions"]
    assert top["rank"] == 1 and top["arxiv_id"] == "2108.02774"
    assert top["title"] == "Sketch Your Own GAN"
    assert top["authors"] == ["Sheng-Yu Wang", "David Bau", "Jun-Yan Zhu"]
    assert (top["score"], top["reposts"], top["likes"]) == (2842, 2597, 245)
    assert top["categories"] == ["cs.CV", "cs.LG"] and top["primary_category"] == "cs.CV"
    assert top["abs_url"] == "https://arxiv.org/abs/2108.02774"
    assert top["pdf_url"] == "https://arxiv.org/pdf/2108.02774"
    assert top["abstract"].startswith("Can a user create")
    # the blog published totals, not how many posts: no "posts"
    assert top["sources"] == {"x": {"reposts": 2597, "likes": 245, "score": 2842}}


def test_mentions_are_plain_dicts() -> None:
    (m,) = digest_to_dict(sample_digest())["papers"][0]["mentions"]
    assert m == {
        "source": "x",
        "url": "https://twitter.com/ak92501/status/1423445312602099712",
        "author_name": "AK",
        "author_handle": "ak92501",
        "posted_at": "2021-08-06T00:00:00+00:00",
        "text": m["text"],
        "language": "en",
        "reposts": 0,
        "likes": 0,
    }
    assert m["text"].startswith("Sketch Your Own GAN\npdf: ")


def test_serialises_and_follows_the_view() -> None:
    view = by_categories(sample_digest(), ["cs.CV"])
    data = json.loads(json.dumps(digest_to_dict(view), ensure_ascii=False))
    assert [p["rank"] for p in data["papers"]] == list(range(1, len(view.papers) + 1))
    assert all("cs.CV" in p["categories"] for p in data["papers"])
    assert "Sören Schwertfeger" in json.dumps(data, ensure_ascii=False)
