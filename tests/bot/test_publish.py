"""The fan-out and its ledger, through the in-memory adapter."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.models import Delivery, Subscription
from bot.plans import delivery_key
from bot.publish import Mode, publish
from bot.store import Store
from tests.fakes.digests import make_digest
from tests.fakes.memory_chat import MemoryChatAdapter, SimulatedCrash

DAY = dt.date(2021, 8, 6)
KEY = DAY.isoformat()


def subs(*channels: str, **kw: object) -> list[Subscription]:
    return [Subscription(platform="memory", channel=c, **kw) for c in channels]  # type: ignore[arg-type]


async def test_each_channel_gets_parent_then_papers_in_order(
    any_store: Store, memory_chat: MemoryChatAdapter
) -> None:
    digest = make_digest(DAY, 7)
    report = await publish(any_store, {"memory": memory_chat}, digest, subs("A", "B", "C"))
    assert report.complete and report.count("done") == 3 and report.sent == 24
    for ch in "ABC":
        assert memory_chat.ranks(ch) == list(range(8))
        parent = memory_chat.messages[ch][0]
        assert all(m.thread_id == parent.message_id for m in memory_chat.messages[ch][1:])
    ledger = await any_store.deliveries(KEY, "memory", "B")
    ids = [p.paper.arxiv_id for p in digest.papers]
    assert [d.part for d in ledger] == ["parent", *ids]  # parts are papers, not positions
    assert {d.status for d in ledger} == {"sent"} and {d.thread for d in ledger} == {"1"}
    assert ledger[3].message_id == memory_chat.messages["B"][3].message_id
    assert ledger[3].key == delivery_key(KEY, "memory", "B", "1", ids[2])
    assert memory_chat.messages["B"][3].key == ledger[3].key
    assert all(d.attempts == 1 and d.first_attempt_at is not None for d in ledger)


async def test_rerun_sends_nothing_again(sqlite_store: Store, memory_chat: MemoryChatAdapter
                                         ) -> None:
    digest = make_digest(DAY, 5)
    await publish(sqlite_store, {"memory": memory_chat}, digest, subs("A", "B"))
    again = await publish(sqlite_store, {"memory": memory_chat}, digest, subs("A", "B"))
    assert again.sent == 0 and sum(c.already for c in again.channels) == 12
    assert memory_chat.total() == 12


async def test_again_posts_a_new_thread(sqlite_store: Store, memory_chat: MemoryChatAdapter
                                        ) -> None:
    digest = make_digest(DAY, 2)
    await publish(sqlite_store, {"memory": memory_chat}, digest, subs("A"), mode=Mode.POST)
    again = await publish(sqlite_store, {"memory": memory_chat}, digest, subs("A"),
                          mode=Mode.AGAIN)
    assert again.sent == 3 and memory_chat.ranks("A") == [0, 1, 2, 0, 1, 2]
    assert again.channels[0].thread == "2"
    keys = [m.key for m in memory_chat.messages["A"]]
    assert len(set(keys)) == 6
    plans = await sqlite_store.thread_plans(KEY, "memory", "A")
    assert [(p.thread, p.origin) for p in plans] == [("1", "post"), ("2", "again")]


async def test_channel_view_follows_its_subscription(
    sqlite_store: Store, memory_chat: MemoryChatAdapter
) -> None:
    digest = make_digest(DAY, 8)  # categories cycle: LG, CV, ML, CL
    await publish(sqlite_store, {"memory": memory_chat}, digest, [
        Subscription("memory", "vision", categories=("cs.CV",)),
        Subscription("memory", "top2", max_papers=2),
        Subscription("memory", "ml", categories=("stat.ML",), min_score=950),
    ])
    assert memory_chat.ranks("vision") == [0, 1, 2]  # renumbered view: papers 2 and 6
    assert "Paper 2 of" in memory_chat.messages["vision"][1].text
    assert "Paper 6 of" in memory_chat.messages["vision"][2].text
    assert memory_chat.ranks("top2") == [0, 1, 2]
    # stat.ML papers are 1, 3, 5, 7 (cycle LG+ML, CV, ML+LG, CL); score >= 950 keeps 1, 3, 5
    assert len(memory_chat.ranks("ml")) == 1 + 3
    assert "2 papers" in memory_chat.messages["top2"][0].text


async def test_empty_view_posts_one_message(sqlite_store: Store, memory_chat: MemoryChatAdapter
                                            ) -> None:
    digest = make_digest(DAY, 3)
    report = await publish(sqlite_store, {"memory": memory_chat}, digest,
                           [Subscription("memory", "ro", categories=("astro-ph",))])
    assert memory_chat.ranks("ro") == [0] and report.count("done") == 1
    assert "0 papers" in memory_chat.messages["ro"][0].text


async def test_permanent_failure_pauses_only_that_channel(
    any_store: Store, memory_chat: MemoryChatAdapter
) -> None:
    for ch in ("A", "GONE", "C"):
        await any_store.save_subscription(Subscription("memory", ch))
    memory_chat.gone.add("GONE")
    digest = make_digest(DAY, 4)
    report = await publish(any_store, {"memory": memory_chat}, digest,
                           await any_store.list_subscriptions())
    by = {c.channel: c for c in report.channels}
    assert by["GONE"].status == "paused" and "not found" in by["GONE"].detail
    assert by["A"].status == by["C"].status == "done"
    assert memory_chat.ranks("A") == memory_chat.ranks("C") == [0, 1, 2, 3, 4]
    gone = await any_store.get_subscription("memory", "GONE")
    assert gone is not None and gone.paused and "not found" in gone.pause_reason
    # the next run skips it and sends nothing to it
    memory_chat.gone.clear()
    again = await publish(any_store, {"memory": memory_chat}, digest,
                          await any_store.list_subscriptions())
    assert {c.channel: c.status for c in again.channels}["GONE"] == "skipped"
    assert "GONE" not in memory_chat.messages


async def test_transient_failures_are_retried_without_duplicates(
    sqlite_store: Store, memory_chat: MemoryChatAdapter
) -> None:
    memory_chat.flaky["A"] = 2
    memory_chat.lose_reply["B"] = 2  # the message lands but the reply is lost
    digest = make_digest(DAY, 3)
    report = await publish(sqlite_store, {"memory": memory_chat}, digest, subs("A", "B"),
                           backoff=0.001)
    assert report.complete
    assert memory_chat.ranks("A") == memory_chat.ranks("B") == [0, 1, 2, 3]
    assert sum(c.settled for c in report.channels) == 2


async def test_transient_failure_left_for_next_run(
    sqlite_store: Store, memory_chat: MemoryChatAdapter
) -> None:
    memory_chat.flaky["A"] = 10
    digest = make_digest(DAY, 3)
    report = await publish(sqlite_store, {"memory": memory_chat}, digest, subs("A", "B"),
                           retries=1, backoff=0.001)
    by = {c.channel: c for c in report.channels}
    assert not report.complete and by["A"].status == "failed" and by["B"].status == "done"
    assert "A" not in memory_chat.messages
    ledger = await sqlite_store.deliveries(KEY, "memory", "A")
    assert [(d.part, d.status, d.attempts) for d in ledger] == [("parent", "pending", 2)]
    memory_chat.flaky.clear()
    finds = memory_chat.finds
    again = await publish(sqlite_store, {"memory": memory_chat}, digest, subs("A", "B"))
    assert again.complete and memory_chat.ranks("A") == [0, 1, 2, 3]
    assert memory_chat.finds == finds + 1


@pytest.mark.parametrize("crash_at", [1, 2, 5, 9, 12])
async def test_crash_anywhere_then_restart_is_exact(sqlite_store: Store, crash_at: int) -> None:
    chat = MemoryChatAdapter()
    chat.crash_after = crash_at
    digest = make_digest(DAY, 3)
    crashed = False
    try:
        await publish(sqlite_store, {"memory": chat}, digest, subs("A", "B", "C"))
    except* SimulatedCrash:
        crashed = True
    assert crashed and chat.total() >= crash_at  # other channels may finish a send
    await publish(sqlite_store, {"memory": chat}, digest, subs("A", "B", "C"))
    for ch in "ABC":
        assert chat.ranks(ch) == [0, 1, 2, 3]


async def test_missing_adapter_is_reported_not_paused(sqlite_store: Store) -> None:
    await sqlite_store.save_subscription(Subscription("slack", "C1"))
    report = await publish(sqlite_store, {}, make_digest(DAY, 1),
                           await sqlite_store.list_subscriptions())
    first = report.channels[0]
    assert first.status == "skipped" and "no slack adapter" in first.detail
    sub = await sqlite_store.get_subscription("slack", "C1")
    assert sub is not None and not sub.paused


async def test_channels_run_in_parallel(sqlite_store: Store) -> None:
    class Slow(MemoryChatAdapter):
        async def send_parent(self, channel, digest, *, key, notes=()):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.05)
            return await super().send_parent(channel, digest, key=key, notes=notes)

    chat = Slow()
    loop = asyncio.get_running_loop()
    start = loop.time()
    await publish(sqlite_store, {"memory": chat}, make_digest(DAY, 0),
                  subs(*[f"c{i}" for i in range(40)]))
    assert loop.time() - start < 40 * 0.05 / 4  # far less than one after another
    assert chat.total() == 40


async def test_ledger_group_commit_shares_transactions(any_store: Store) -> None:
    from bot.ledger import LedgerWriter

    ledger = LedgerWriter(any_store)
    await asyncio.gather(*(
        ledger.record(Delivery(KEY, "memory", f"c{i}", "1", f"2108.{part:05d}", "pending",
                               key=f"k{i}.{part}"))
        for i in range(20) for part in range(5)))
    rows = await any_store.deliveries(KEY)
    assert len(rows) == 100 and {r.status for r in rows} == {"pending"}
    assert ledger.transactions < 100 / 4  # concurrent writers shared transactions
    await ledger.record(Delivery(KEY, "memory", "c3", "1", "2108.00002", "sent", message_id="m",
                                 key="k3.2"))
    row = next(r for r in await any_store.deliveries(KEY, "memory", "c3")
               if r.part == "2108.00002")
    assert row.status == "sent" and row.message_id == "m"


async def test_a_batch_reads_only_its_own_channels_plans(any_store: Store) -> None:
    """A post job of a few channels plans and reads only those (a 10,000-channel day read
    whole by each of its 500 jobs was quadratic); the others' plans are not touched."""
    from bot.plans import make_plan

    digest = make_digest(dt.date(2021, 8, 6), 3)
    others = [Subscription("slack", f"C{i:03d}") for i in range(5)]
    await any_store.create_plans([make_plan(digest.key, s, digest, thread="1", origin="daily")
                                  for s in others])
    mine = [Subscription("slack", "CMINE1"), Subscription("slack", "CMINE2")]
    found = await any_store.channel_plans(digest.key, [(s.platform, s.channel) for s in mine])
    assert found == []
    await any_store.create_plans([make_plan(digest.key, mine[0], digest, thread="1",
                                            origin="daily")])
    found = await any_store.channel_plans(digest.key, [(s.platform, s.channel) for s in mine])
    assert [p.channel for p in found] == ["CMINE1"]
    assert len(await any_store.thread_plans(digest.key)) == 6
