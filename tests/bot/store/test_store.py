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
    day, t0 = "2021-08-06", dt.datetime(2021, 8, 7, 9, tzinfo=dt.UTC)
    await any_store.record_delivery(Delivery(day, "slack", "C1", "1", "parent", "pending",
                                             key="k0", attempts=1, first_attempt_at=t0))
    await any_store.record_delivery(Delivery(day, "slack", "C1", "1", "parent", "sent",
                                             message_id="1.0", key="k0", attempts=1,
                                             first_attempt_at=t0, permalink="https://x/1"))
    await any_store.record_delivery(Delivery(day, "slack", "C1", "1", "2108.00001", "sent",
                                             message_id="1.1", first_attempt_at=t0))
    await any_store.record_delivery(Delivery(day, "slack", "C1", "2", "parent", "pending"))
    rows = await any_store.deliveries(day, "slack", "C1", "1")
    assert [(r.part, r.status, r.message_id) for r in rows] == [
        ("2108.00001", "sent", "1.1"), ("parent", "sent", "1.0")]
    parent = next(r for r in rows if r.part == "parent")
    assert parent.first_attempt_at == t0 and parent.attempts == 1
    assert parent.ref is not None and parent.ref.permalink == "https://x/1"
    assert len(await any_store.deliveries(day)) == 3
    known = await any_store.recorded_message_ids("slack", "C1", t0 - dt.timedelta(days=9999))
    assert known == {"1.0", "1.1"}


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


async def test_old_ledger_rows_are_converted_and_kept_readable(any_store_url: str) -> None:
    """A database at revision 0002 with position-keyed rows: after the upgrade they are
    rows of thread "1" with parts "parent", "#1", "#2", under a legacy plan that is never
    resumed, and `hotpapers post` for that day names --again instead of reposting."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.models import Subscription
    from bot.publish import Mode, publish
    from bot.store.migrate import upgrade
    from tests.fakes.digests import make_digest
    from tests.fakes.memory_chat import MemoryChatAdapter

    engine = create_async_engine(any_store_url)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade, "0002")
        old = sa.table("deliveries", sa.column("digest_date", sa.Date),
                       sa.column("platform"), sa.column("channel"), sa.column("part"),
                       sa.column("workspace"), sa.column("status"), sa.column("message_id"),
                       sa.column("thread_id"), sa.column("nonce"), sa.column("detail"),
                       sa.column("updated_at", sa.DateTime))
        stamp = dt.datetime(2021, 8, 7, 9)
        await conn.execute(old.insert(), [
            {"digest_date": dt.date(2021, 8, 6), "platform": "memory", "channel": "C1",
             "part": n, "workspace": "", "status": "sent" if n < 2 else "pending",
             "message_id": f"m{n}" if n < 2 else None, "thread_id": "m0", "nonce": f"hp{n}",
             "detail": "", "updated_at": stamp} for n in range(3)])
    await engine.dispose()
    store = await Store.open(any_store_url)
    try:
        rows = await store.deliveries("2021-08-06")
        assert sorted((r.thread, r.part, r.status, r.message_id, r.key) for r in rows) == [
            ("1", "#1", "sent", "m1", "hp1"), ("1", "#2", "pending", None, "hp2"),
            ("1", "parent", "sent", "m0", "hp0")]
        (plan,) = await store.thread_plans("2021-08-06")
        assert plan.legacy and plan.origin == "legacy" and plan.thread == "1"
        chat = MemoryChatAdapter()
        digest = make_digest(dt.date(2021, 8, 6), 3)
        daily = await publish(store, {"memory": chat}, digest, [Subscription("memory", "C1")])
        assert daily.channels[0].status == "done" and "not resumed" in daily.channels[0].detail
        post = await publish(store, {"memory": chat}, digest, [Subscription("memory", "C1")],
                             mode=Mode.POST)
        assert post.channels[0].status == "refused" and "--again" in post.channels[0].detail
        assert chat.total() == 0  # nothing reposted behind the user's back
    finally:
        await store.close()


async def test_the_migration_goes_back_to_positions(sqlite_url: str) -> None:
    """Downgrading 0003 keeps thread "1" as position-keyed rows (planned order)."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.models import ThreadPlan
    from bot.store.migrate import upgrade

    store = await Store.open(sqlite_url)
    await store.create_plans([ThreadPlan("2021-08-06", "slack", "C1", "1", None, "",
                                         ("2108.00002", "2108.00001"))])
    for part in ("parent", "2108.00001", "2108.00002"):
        await store.record_delivery(Delivery("2021-08-06", "slack", "C1", "1", part, "sent",
                                             message_id=part, key=f"k-{part}"))
    await store.record_delivery(Delivery("2021-08-06", "slack", "C1", "2", "parent", "sent"))
    await store.close()

    def downgrade(conn: sa.Connection) -> None:
        from alembic import command

        from bot.store.migrate import alembic_config

        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")

    engine = create_async_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(downgrade)
        rows = (await conn.execute(sa.text(
            "SELECT part, message_id, nonce FROM deliveries ORDER BY part"))).all()
        await conn.run_sync(upgrade)  # and up again
    await engine.dispose()
    assert [tuple(r) for r in rows] == [(0, "parent", "k-parent"),
                                        (1, "2108.00002", "k-2108.00002"),
                                        (2, "2108.00001", "k-2108.00001")]
