"""Thread plans and leases through the in-memory adapter: a changed selection never
repeats or skips a paper, `--again` makes a second thread, a claimed thread is skipped,
a webhook-like adapter's in-doubt send is reported and not resent."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from bot.leases import Claims
from bot.models import Subscription
from bot.plans import view_spec
from bot.publish import BUSY, Mode, publish
from bot.store import Store
from tests.fakes.digests import make_digest
from tests.fakes.memory_chat import MemoryChatAdapter, SimulatedCrash

DAY = dt.date(2021, 8, 6)
KEY = DAY.isoformat()
DIGEST = make_digest(DAY, 8)  # categories cycle: LG+ML, CV, ML+LG, CL
CV = [p.paper.arxiv_id for p in DIGEST.papers if "cs.CV" in p.paper.categories]
LG = [p.paper.arxiv_id for p in DIGEST.papers if "cs.LG" in p.paper.categories]
ALL = [p.paper.arxiv_id for p in DIGEST.papers]


async def crash_after(store: Store, chat: MemoryChatAdapter, n: int, *args: object,
                      **kw: object) -> None:
    chat.crash_after = chat.total() + n
    with pytest.raises(BaseExceptionGroup) as crashed:
        await publish(store, {"memory": chat}, DIGEST, *args, **kw)  # type: ignore[arg-type]
    assert crashed.group_contains(SimulatedCrash)
    chat.crash_after = None


async def test_post_with_another_view_is_refused_and_again_posts_a_full_thread(
        any_store: Store) -> None:
    chat = MemoryChatAdapter()
    cv = [Subscription("memory", "C10", categories=("cs.CV",))]
    full = [Subscription("memory", "C10")]
    await crash_after(any_store, chat, 2, cv, mode=Mode.POST)
    refused = await publish(any_store, {"memory": chat}, DIGEST, full, mode=Mode.POST)
    (c,) = refused.channels
    assert c.status == "refused" and c.sent == 0
    assert c.detail == (f"{KEY} is already posted to memory:C10 as {len(CV)} papers (cs.CV); "
                        "add --again to post this view as a new thread")
    finished = await publish(any_store, {"memory": chat}, DIGEST, cv, mode=Mode.POST)
    assert finished.channels[0].status == "done"
    assert chat.papers("C10") == ["parent", *CV]  # one parent, each planned paper once
    again = await publish(any_store, {"memory": chat}, DIGEST, full, mode=Mode.AGAIN)
    assert again.channels[0].thread == "2" and again.channels[0].sent == len(ALL) + 1
    assert chat.papers("C10") == ["parent", *CV, "parent", *ALL]
    second = chat.messages["C10"][len(CV) + 1]
    assert all(m.thread_id == second.message_id for m in chat.messages["C10"][len(CV) + 2:])
    # the same view again: already there, nothing sent
    same = await publish(any_store, {"memory": chat}, DIGEST, full, mode=Mode.POST)
    assert same.channels[0].status == "done" and same.sent == 0
    assert same.channels[0].already == len(ALL) + 1


async def test_a_changed_subscription_applies_from_the_next_day(any_store: Store) -> None:
    chat = MemoryChatAdapter()
    await any_store.save_subscription(Subscription("memory", "Q1", categories=("cs.CV",)))
    subs = await any_store.list_subscriptions()
    await crash_after(any_store, chat, 3, subs)
    await any_store.save_subscription(Subscription("memory", "Q1", categories=("cs.LG",)))
    report = await publish(any_store, {"memory": chat}, DIGEST,
                           await any_store.list_subscriptions())
    assert report.channels[0].status == "done"
    assert chat.papers("Q1") == ["parent", *CV]  # finished as planned
    assert "(cs.CV)" in chat.messages["Q1"][0].text
    nxt = make_digest(DAY + dt.timedelta(days=3), 8)
    await publish(any_store, {"memory": chat}, nxt, await any_store.list_subscriptions())
    next_lg = [p.paper.arxiv_id for p in nxt.papers if "cs.LG" in p.paper.categories]
    assert chat.papers("Q1")[len(CV) + 1:] == ["parent", *next_lg]
    plans = await any_store.thread_plans(KEY, "memory", "Q1")
    assert [(p.thread, p.parts, p.view) for p in plans] == [
        ("1", tuple(CV), view_spec(Subscription("memory", "Q1", categories=("cs.CV",))))]


async def test_a_claimed_thread_is_skipped_then_taken_over_when_expired(
        any_store: Store) -> None:
    chat = MemoryChatAdapter()
    subs = [Subscription("memory", "C10")]
    await crash_after(any_store, chat, 3, subs)  # the crash left parent + 2 papers
    # another poster holds the thread (it crashed: its lease runs out in 0.4 s)
    other = Claims(any_store, ttl=0.4)
    assert await other.acquire([(KEY, "memory", "C10", "1")])
    busy = await publish(any_store, {"memory": chat}, DIGEST, subs)
    assert [(c.status, c.detail, c.sent) for c in busy.channels] == [("busy", BUSY, 0)]
    assert not busy.complete and busy.channels[0].unfinished
    await asyncio.sleep(0.5)
    taken = await publish(any_store, {"memory": chat}, DIGEST, subs)
    assert taken.channels[0].status == "done"
    assert chat.papers("C10") == ["parent", *ALL]
    assert await any_store.leases(KEY) == []  # released at the end


async def test_leases_are_atomic_between_concurrent_posters(any_store: Store) -> None:
    keys = [(KEY, "slack", f"C{i}", "1") for i in range(20)]
    posters = [Claims(any_store, ttl=30) for _ in range(6)]
    won = await asyncio.gather(*(p.acquire(keys) for p in posters))
    for key in keys:
        assert sum(key in w for w in won) == 1  # exactly one holder per thread
    assert set().union(*won) == set(keys)
    holder = next(p for p, w in zip(posters, won, strict=True) if keys[0] in w)
    assert await holder.acquire([keys[0]]) == set()  # already held: nothing new
    await holder.renew()
    assert keys[0] in holder.held
    holder.check(keys[0])
    await holder.release()
    assert keys[0] in await posters[0].acquire([keys[0]]) or keys[0] in posters[0].held


async def test_a_poster_cut_off_from_its_lease_stops_before_it_expires(
        any_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    class Slow(MemoryChatAdapter):
        async def send_paper(self, *args, **kw):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.1)
            return await super().send_paper(*args, **kw)

    real_renew = Store.renew_leases

    async def unreachable(self: Store, *args: object, **kw: object) -> object:
        raise OSError("the database went away")

    monkeypatch.setattr(Store, "renew_leases", unreachable)
    chat = Slow()
    subs = [Subscription("memory", "C10")]
    started = asyncio.get_running_loop().time()
    report = await publish(any_store, {"memory": chat}, DIGEST, subs, lease_ttl=0.8)
    stopped = asyncio.get_running_loop().time() - started
    (c,) = report.channels
    assert c.status == "busy" and "could not be renewed" in c.detail
    assert 1 < len(chat.papers("C10")) < len(ALL) + 1
    assert stopped < 0.8  # stopped sending before the lease could expire
    monkeypatch.setattr(Store, "renew_leases", real_renew)
    await asyncio.sleep(0.8)  # it expires; the next poster takes it over and finishes
    again = await publish(any_store, {"memory": chat}, DIGEST, subs)
    assert again.channels[0].status == "done"
    assert chat.papers("C10") == ["parent", *ALL]


async def test_leases_taken_slowly_are_renewed_in_time(
        sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Taking the leases of thousands of threads can take longer than ttl/4 (other
    posters wait on the same rows): the first renewal must not be skipped for it, else
    the next one comes when only the margin is left and every thread is given up."""
    real_acquire, real_renew = Store.acquire_leases, Store.renew_leases

    async def slow_acquire(self: Store, *args: object, **kw: object) -> object:
        await asyncio.sleep(0.6)  # longer than ttl/4
        return await real_acquire(self, *args, **kw)  # type: ignore[arg-type]

    async def slow_renew(self: Store, *args: object, **kw: object) -> object:
        await asyncio.sleep(0.3)
        return await real_renew(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "acquire_leases", slow_acquire)
    monkeypatch.setattr(Store, "renew_leases", slow_renew)
    key = (KEY, "slack", "C1", "1")
    loop = asyncio.get_running_loop()
    async with Claims(sqlite_store, ttl=2.0) as claims:  # margin 1 s, renewed every 0.5 s
        started = loop.time()
        assert await claims.acquire([key]) == {key}
        await asyncio.sleep(max(0.0, started + 1.15 - loop.time()))
        claims.check(key)  # a renewal came in time (a fixed tick would still be at it)


async def test_webhook_like_in_doubt_is_reported_not_resent(sqlite_store: Store) -> None:
    chat = MemoryChatAdapter(reads_back=False)
    subs = [Subscription("memory", "W")]
    chat.lose_reply["W"] = 1  # the parent lands, its answer is lost
    first = await publish(sqlite_store, {"memory": chat}, DIGEST, subs, backoff=0)
    (c,) = first.channels
    assert c.status == "in-doubt" and "--resend-in-doubt" in c.detail
    assert chat.papers("W") == ["parent"] and chat.finds == 0
    again = await publish(sqlite_store, {"memory": chat}, DIGEST, subs, backoff=0)
    assert again.channels[0].status == "in-doubt" and chat.papers("W") == ["parent"]
    rows = await sqlite_store.deliveries(KEY, "memory", "W")
    assert [(r.part, r.status) for r in rows] == [("parent", "in_doubt")]
    resent = await publish(sqlite_store, {"memory": chat}, DIGEST, subs, backoff=0,
                           resend_in_doubt=True)
    assert resent.channels[0].status == "done"
    assert chat.papers("W") == ["parent", "parent", *ALL]  # resent because asked to


async def test_a_crash_before_the_answer_is_in_doubt_for_a_webhook(sqlite_store: Store) -> None:
    chat = MemoryChatAdapter(reads_back=False)
    subs = [Subscription("memory", "W")]
    await crash_after(sqlite_store, chat, 2, subs)
    report = await publish(sqlite_store, {"memory": chat}, DIGEST, subs)
    assert report.channels[0].status == "in-doubt"
    assert "paper 1 (" in report.channels[0].detail
    assert chat.papers("W") == ["parent", ALL[0]]


async def test_a_digest_that_lost_a_planned_paper_fails_with_one_line(sqlite_store: Store
                                                                      ) -> None:
    chat = MemoryChatAdapter()
    subs = [Subscription("memory", "C1")]
    await crash_after(sqlite_store, chat, 1, subs)
    smaller = dataclasses.replace(DIGEST, papers=DIGEST.papers[:-1])
    report = await publish(sqlite_store, {"memory": chat}, smaller, subs)
    (c,) = report.channels
    assert c.status == "failed" and "no longer lists" in c.detail and "--again" in c.detail
