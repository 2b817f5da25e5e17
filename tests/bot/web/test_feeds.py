"""The Atom feeds, read back with feedparser (the library feed readers are built on):
valid (no bozo), stable entry ids, updated times, absolute links, one entry per day."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import feedparser

from bot.web.context import CONTEXT
from tests.bot.web.conftest import Web


async def parse(web: Web, path: str) -> feedparser.FeedParserDict:
    resp = await web.get(path)
    assert resp.status == 200 and resp.content_type == "application/atom+xml"
    feed = feedparser.parse(await resp.read())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


async def test_the_main_feed_has_one_entry_per_day(web: Web) -> None:
    feed = await parse(web, "/feed.atom")
    assert feed.feed.title == "Hot Papers"
    links = {ln.rel: ln.href for ln in feed.feed.links}
    assert links == {"alternate": "https://hot.example.org/",
                     "self": "https://hot.example.org/feed.atom"}
    assert len(feed.entries) == 14
    first = feed.entries[0]
    assert first.title == "Hot Papers 2021-08-06: 11 papers, top: Sketch Your Own GAN"
    assert first.link == "https://hot.example.org/2021-08-06"
    assert first.id.startswith("urn:uuid:") and first.updated_parsed and first.published_parsed
    assert "https://hot.example.org/p/2108.02774" in first.content[0].value
    assert [e.link[-10:] for e in feed.entries] == sorted(
        (e.link[-10:] for e in feed.entries), reverse=True)
    assert len({e.id for e in feed.entries}) == 14


async def test_entry_ids_are_stable_and_updated_moves_when_a_day_is_stored_again(web: Web
                                                                                 ) -> None:
    before = await parse(web, "/feed.atom")
    web.app[CONTEXT].cache.check_every = 0.0
    aug5 = await web.core.store.get_digest(dt.date(2021, 8, 5))
    assert aug5 is not None
    await asyncio.sleep(1.05)  # Atom times have whole seconds
    await web.core.store.save_digest(dataclasses.replace(aug5, papers=aug5.papers[:3]))
    after = await parse(web, "/feed.atom")
    assert [e.id for e in after.entries] == [e.id for e in before.entries]
    changed = after.entries[1]
    assert changed.link.endswith("/2021-08-05") and changed.title.startswith(
        "Hot Papers 2021-08-05: 3 papers")
    assert changed.updated_parsed > before.entries[1].updated_parsed
    assert after.feed.updated_parsed >= changed.updated_parsed


async def test_a_category_feed(web: Web) -> None:
    feed = await parse(web, "/c/cs.CV.atom")
    assert feed.feed.title == "Hot Papers in cs.CV"
    assert feed.entries and feed.entries[0].title.startswith("Hot Papers 2021-08-06 · cs.CV: ")
    main_ids = {e.id for e in (await parse(web, "/feed.atom")).entries}
    assert not main_ids & {e.id for e in feed.entries}  # another scope, other ids
    html = await web.text("/c/cs.CV")
    for entry in feed.entries[:3]:
        for href in [h for h in entry.content[0].value.split('"') if "/p/" in h]:
            assert href.removeprefix("https://hot.example.org") in html
    assert (await web.get("/c/nothing.atom")).status == 404


async def test_every_page_links_its_feeds(web: Web) -> None:
    for path in ("/", "/2021-08-06", "/archive", "/p/2108.02774", "/search?q=gan",
                 "/2021-08-07", "/c/cs.LG"):
        resp = await web.get(path)
        html = await resp.text()
        assert '<link rel="alternate" type="application/atom+xml" title="Hot Papers (every ' \
               'day)" href="/feed.atom">' in html, path
    assert 'href="/c/cs.LG.atom"' in await web.text("/c/cs.LG")


async def test_feeds_use_the_request_host_without_a_public_url(archive_url: str) -> None:
    from bot.settings import Settings
    from tests.bot.web.conftest import serve

    async for w in serve(Settings(database_url=archive_url)):
        feed = await parse(w, "/feed.atom")
        assert feed.entries[0].link == w.url + "/2021-08-06"
