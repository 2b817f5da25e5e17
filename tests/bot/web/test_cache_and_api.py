"""Conditional and compressed responses, the page cache and its invalidation by a newly
stored day (in this process and from another one), and the JSON API."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import gzip
import json

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.store import Store
from bot.web.context import CONTEXT
from tests.bot.web.conftest import Web

AUG6 = dt.date(2021, 8, 6)
AUG9 = dt.date(2021, 8, 9)


async def test_etag_and_last_modified_answer_304(web: Web) -> None:
    first = await web.get("/2021-08-06", headers={"Accept-Encoding": "identity"})
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.status == 200 and etag.startswith('"') and modified.endswith("GMT")
    again = await web.get("/2021-08-06", headers={"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    since = await web.get("/2021-08-06", headers={"If-Modified-Since": modified,
                                                   "Accept-Encoding": "identity"})
    assert since.status == 304
    other = await web.get("/2021-08-05", headers={"If-None-Match": etag})
    assert other.status == 200  # another page, another tag
    api = await web.get("/api/v1/digests/2021-08-06")
    assert (await web.get("/api/v1/digests/2021-08-06",
                          headers={"If-None-Match": api.headers["ETag"]})).status == 304


async def test_gzip_only_for_clients_that_take_it(web: Web) -> None:
    plain = await web.get("/2021-08-06", headers={"Accept-Encoding": "identity"})
    body = await plain.read()
    assert "Content-Encoding" not in plain.headers and plain.headers["Vary"] == "Accept-Encoding"
    raw = await web.http.get(web.url + "/2021-08-06", headers={"Accept-Encoding": "gzip"},
                             auto_decompress=False)
    assert raw.headers["Content-Encoding"] == "gzip"
    packed = await raw.read()
    assert gzip.decompress(packed) == body and len(packed) < len(body) / 2
    assert raw.headers["ETag"] != plain.headers["ETag"]  # two representations, two tags
    refused = await web.get("/2021-08-06", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


async def test_pages_are_cached_until_a_new_day_is_stored(web: Web) -> None:
    cache = web.app[CONTEXT].cache
    cache.check_every = 0.0
    await web.text("/")
    hits = cache.hits
    await web.text("/")
    assert cache.hits == hits + 1
    aug6 = await web.core.store.get_digest(AUG6)
    assert aug6 is not None
    await web.core.store.save_digest(dataclasses.replace(aug6, date=AUG9))
    assert "<h1>Hot Papers 2021-08-09</h1>" in await web.text("/")
    assert ("href=\"/2021-08-09\"" in await web.text("/2021-08-06"))  # now has a next day
    assert len([h for h in (await web.text("/archive")).split('href="/20')]) == 281


async def test_a_day_stored_by_another_process_shows_within_the_check_interval(
        web: Web, archive_url: str) -> None:
    cache = web.app[CONTEXT].cache
    cache.check_every = 0.3
    assert "Hot Papers 2021-08-06" in await web.text("/")
    other = await Store.open(archive_url)  # another engine: what the worker process does
    try:
        aug6 = await other.get_digest(AUG6)
        assert aug6 is not None
        await other.save_digest(dataclasses.replace(aug6, date=AUG9))
    finally:
        await other.close()
    await asyncio.sleep(0.4)
    assert "<h1>Hot Papers 2021-08-09</h1>" in await web.text("/")


async def test_the_day_api_is_the_cli_json(web: Web, archive_url: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    resp = await web.get("/api/v1/digests/2021-08-06")
    assert resp.status == 200 and resp.content_type == "application/json"
    body = await resp.json()
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", archive_url)
    from bot.settings import get_settings

    get_settings.cache_clear()
    out = await asyncio.to_thread(CliRunner().invoke, cli,
                                  ["digest", "2021-08-06", "-f", "json", "--no-build"])
    assert out.exit_code == 0, out.output
    assert body == json.loads(out.stdout)
    assert [p["arxiv_id"] for p in body["papers"]][:1] == ["2108.02774"] and len(
        body["papers"]) == 11


async def test_the_range_api(web: Web) -> None:
    resp = await web.get("/api/v1/digests?from=2021-08-01&to=2021-08-06&category=cs.CV")
    body = await resp.json()
    assert resp.status == 200
    assert (body["from"], body["to"], body["categories"]) == ("2021-08-01", "2021-08-06",
                                                               ["cs.CV"])
    assert [d["date"] for d in body["digests"]] == [
        "2021-08-02", "2021-08-03", "2021-08-04", "2021-08-05", "2021-08-06"]
    for d in body["digests"]:
        assert d["papers"] and all("cs.CV" in p["categories"] for p in d["papers"])
        assert [p["rank"] for p in d["papers"]] == list(range(1, len(d["papers"]) + 1))
    latest = await (await web.get("/api/v1/digests")).json()
    assert (latest["from"], latest["to"]) == ("2021-07-31", "2021-08-06")
    both = await (await web.get("/api/v1/digests?to=2021-08-06&category=cs.CV,stat.ML"
                                "&category=cs.RO")).json()
    assert both["categories"] == ["cs.CV", "stat.ML", "cs.RO"]


@pytest.mark.parametrize(("query", "message"), [
    ("from=2021-08-07&to=2021-08-01", "from 2021-08-07 is after to 2021-08-01"),
    ("from=2021-01-01&to=2021-08-01", "send at most 31 days"),
    ("to=yesterday", "to 'yesterday' is not a date; send YYYY-MM-DD"),
    ("from=2021-02-30", "from '2021-02-30' is not a date"),
    ("category=cs.XX", "Unknown arXiv category 'cs.XX'"),
])
async def test_the_range_api_says_what_to_send(web: Web, query: str, message: str) -> None:
    resp = await web.get("/api/v1/digests?" + query)
    assert resp.status == 400 and message in (await resp.json())["error"]


async def test_day_and_paper_api_errors(web: Web) -> None:
    missing = await web.get("/api/v1/digests/2021-08-07")
    assert missing.status == 404
    assert (await missing.json())["error"] == ("no digest stored for 2021-08-07; nearest "
                                               "stored: 2021-08-05 and 2021-08-06")
    bad = await web.get("/api/v1/digests/08-06-2021")
    assert bad.status == 400 and "send YYYY-MM-DD" in (await bad.json())["error"]
    assert (await web.get("/api/v1/papers/nope")).status == 400
    assert (await web.get("/api/v1/papers/2108.99999")).status == 404
    nowhere = await web.get("/api/v2/anything")
    assert nowhere.status == 404 and "openapi.json" in (await nowhere.json())["error"]


async def test_the_paper_api(web: Web) -> None:
    body = await (await web.get("/api/v1/papers/2108.02774v1")).json()
    assert body["title"] == "Sketch Your Own GAN"
    assert body["url"] == "https://hot.example.org/p/2108.02774"
    assert body["listings"] == [{"date": "2021-08-06", "rank": 1, "score": 2842,
                                 "reposts": 2597, "likes": 245,
                                 "url": "https://hot.example.org/2021-08-06"}]
    assert body["mentions"][0]["author_handle"] == "ak92501"


async def test_the_openapi_document(web: Web) -> None:
    doc = await (await web.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/api/v1/digests/{date}", "/api/v1/digests",
                                 "/api/v1/papers/{arxiv_id}"}
    digest = doc["components"]["schemas"]["Digest"]
    assert set(digest["required"]) == {"date", "counted_at", "sources", "failed_sources",
                                       "papers"}
    assert "from" in doc["components"]["schemas"]["DigestList"]["properties"]
