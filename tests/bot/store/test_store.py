"""The store on SQLite and on the local PostgreSQL server."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.models import Delivery, Subscription
from bot.store import Store
from tests import factories


async def test_digest_round_trip_and_idempotent_save(any_store: Store) -> None:
    d = factories.digest()
    await any_store.save_digest(d)
    await any_store.save_digest(d)
    got = await any_store.get_digest(d.date)
    assert got == d
    assert await any_store.digest_dates() == [d.date]


async def test_saving_again_replaces_the_day(any_store: Store) -> None:
    d = factories.digest()
    await any_store.save_digest(d)
    smaller = d.with_papers(d.papers[:2])
    await any_store.save_digest(smaller)
    got = await any_store.get_digest(d.date)
    assert got is not None
    assert [p.paper.arxiv_id for p in got.papers] == ["2108.00001", "2108.00002"]


async def test_missing_day_and_nearest_dates(any_store: Store) -> None:
    for day in (3, 6, 9):
        await any_store.save_digest(factories.digest(dt.date(2021, 8, day)))
    assert await any_store.get_digest(dt.date(2021, 8, 7)) is None
    assert await any_store.nearest_dates(dt.date(2021, 8, 7)) == [dt.date(2021, 8, 6),
                                                                  dt.date(2021, 8, 9)]
    assert await any_store.latest_date() == dt.date(2021, 8, 9)


async def test_subscriptions_crud(any_store: Store) -> None:
    sub = Subscription(platform="slack", channel="C1", workspace="T1", categories=("cs.LG",),
                       include_keywords=("diffusion",), min_score=10, max_papers=5)
    saved = await any_store.save_subscription(sub)
    assert dataclasses.replace(saved, created_at=None) == sub
    await any_store.save_subscription(dataclasses.replace(sub, categories=("cs.CV",)))
    subs = await any_store.list_subscriptions()
    assert [s.categories for s in subs] == [("cs.CV",)]
    assert subs[0].created_at == saved.created_at  # replacing keeps the creation time
    await any_store.set_paused("slack", "C1", True, "channel_not_found")
    assert await any_store.list_subscriptions(include_paused=False) == []
    assert await any_store.delete_subscription("slack", "C1")
    assert not await any_store.delete_subscription("slack", "C1")


async def test_delivery_ledger_upserts(any_store: Store) -> None:
    day = dt.date(2021, 8, 6)
    await any_store.record_delivery(Delivery(day, "slack", "C1", 0, "pending", nonce="k0"))
    await any_store.record_delivery(Delivery(day, "slack", "C1", 0, "sent", message_id="1.0",
                                             nonce="k0"))
    await any_store.record_delivery(Delivery(day, "slack", "C1", 1, "sent", message_id="1.1"))
    rows = await any_store.deliveries(day, "slack", "C1")
    assert [(r.part, r.status, r.message_id) for r in rows] == [(0, "sent", "1.0"),
                                                                 (1, "sent", "1.1")]


async def test_key_value(any_store: Store) -> None:
    assert await any_store.get_value("last_run") is None
    await any_store.set_value("last_run", "2021-08-06")
    await any_store.set_value("last_run", "2021-08-09")
    assert await any_store.get_value("last_run") == "2021-08-09"


async def test_migrations_are_idempotent(any_store_url: str) -> None:
    store = await Store.open(any_store_url)
    await store.migrate()
    await store.close()
    again = await Store.open(any_store_url)
    assert await again.digest_dates() == []
    await again.close()


async def test_provenance_round_trips_and_the_sample_is_refused(any_store: Store) -> None:
    at = dt.datetime(2021, 8, 7, 9, 15, tzinfo=dt.UTC)
    d = dataclasses.replace(factories.digest(), status="partial", sources=("hn",),
                            failed_sources=("hf",), asked=("hn", "hf"), retry_at=at, attempts=2,
                            coverage=("X's recent search reaches back 7 days: 2021-08-06 is "
                                      "out of reach",))
    await any_store.save_digest(d)
    assert await any_store.get_digest(d.date) == d
    assert await any_store.partial_dates(due_by=at - dt.timedelta(seconds=1)) == []
    assert await any_store.partial_dates(due_by=at) == [(d.date, at)]
    later = at + dt.timedelta(hours=1)
    await any_store.set_retry(d.date, later, 3)
    got = await any_store.get_digest(d.date)
    assert got is not None and (got.retry_at, got.attempts) == (later, 3)
    with pytest.raises(ValueError, match="never stored"):
        await any_store.save_digest(dataclasses.replace(d, status="sample"))


async def test_counted_posts_breakdown_and_cadences_round_trip(any_store: Store) -> None:
    from bot.counting import SAME_ACCOUNT
    from bot.models import CountedPost, SourceCount
    from bot.store.ranking_queries import counted_posts, digests_between, listing_dates

    d = factories.digest()
    top = d.papers[0]
    top = dataclasses.replace(top, by_source=(SourceCount("hn", 0, 120, 1, 240.0),
                                              SourceCount("x", 500, 100, 2, None)))
    d = d.with_papers((top, *d.papers[1:]))
    m = top.mentions[0]
    dup = dataclasses.replace(m, url=m.url + "9", likes=3)
    counted = {top.paper.arxiv_id: [
        CountedPost(top.paper.arxiv_id, m, 1.0, float(m.attention)),
        CountedPost(top.paper.arxiv_id, dup, 0.0, 0.0, SAME_ACCOUNT, "already counts"),
    ], "9999.99999": [CountedPost("9999.99999", m, 1.0, 5.0)]}  # not listed: not stored
    await any_store.save_digest(d, counted=counted)
    got = await any_store.get_digest(d.date)
    assert got == d  # the 5-element breakdown comes back as it went in
    posts = await counted_posts(any_store, d.date, top.paper.arxiv_id)
    assert [(c.mention.url, c.factor, c.rule, c.reason) for c in posts] == [
        (m.url, 1.0, "", ""), (dup.url, 0.0, SAME_ACCOUNT, "already counts")]
    assert posts[1].mention.likes == 3 and posts[1].mention.author_handle == m.author_handle
    assert posts[1].mention.author_name == m.author_name
    assert await counted_posts(any_store, d.date, "9999.99999") == ()
    assert await listing_dates(any_store, top.paper.arxiv_id) == [d.date]
    assert [x.date for x in await digests_between(any_store, d.date, d.date)] == [d.date]
    sub = await any_store.save_subscription(Subscription("slack", "C9", cadences=("weekly",)))
    assert sub.cadences == ("weekly",)
    assert (await any_store.save_subscription(Subscription("slack", "C8"))).cadences == (
        "daily",)
