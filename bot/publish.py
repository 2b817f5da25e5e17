"""Fan-out of one digest to many channels, exactly once, through the delivery ledger.

Channels run in parallel (bounded per platform); each channel's messages go in order:
the parent (part 0), then paper n (part n) in its thread. Per message:

1. the ledger says "sent": skip it (a re-run finishes only what is missing);
2. it says "pending" (the process died, or a reply was lost, between recording and
   confirming the send): ask the platform for a message with the same idempotency key
   (`ChatAdapter.find_message`); found -> record it as sent, else send it;
3. otherwise record "pending" with the key, send with the key, record "sent" with the
   platform's message id and thread id.

`PermanentDeliveryError` pauses the subscription (reported; the others go on);
`TransientDeliveryError` is retried with backoff, then reported and left "pending" for the
next run, which settles it exactly through step 2. The adapters own the platforms'
pacing (Slack ~1 msg/s per channel, Discord per-route buckets and the global limit).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from bot.chat import ChatAdapter
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.filters import view
from bot.ledger import LedgerWriter
from bot.models import Delivery, DeliveryRef, Digest, Subscription
from bot.render.links import day_url
from bot.store import Store

log = logging.getLogger("hotpapers.publish")

PER_PLATFORM_CONCURRENCY = 128  # channels posted at once per platform


def delivery_key(
    date: dt.date, platform: str, channel: str, part: int, generation: str = ""
) -> str:
    """The idempotency key of one message (22 chars: fits Discord's 25-char nonce)."""
    raw = f"{date.isoformat()}|{platform}|{channel}|{part}|{generation}".encode()
    return "hp" + hashlib.blake2b(raw, digest_size=10).hexdigest()


@dataclass(frozen=True, slots=True)
class ChannelReport:
    """What happened in one channel. `status`: "done" (every message is delivered),
    "paused" (permanent failure), "failed" (transient, left for the next run),
    "skipped" (paused subscription or no adapter for the platform)."""

    platform: str
    channel: str
    status: str
    total: int = 0  # messages the channel's view has (parent + papers)
    sent: int = 0  # sent in this run
    already: int = 0  # found sent in the ledger
    settled: int = 0  # in doubt, found on the platform
    detail: str = ""

    @property
    def target(self) -> str:
        return f"{self.platform}:{self.channel}"


@dataclass(frozen=True, slots=True)
class PublishReport:
    date: dt.date
    channels: tuple[ChannelReport, ...]

    def count(self, status: str) -> int:
        return sum(1 for c in self.channels if c.status == status)

    @property
    def complete(self) -> bool:
        """Nothing left for a later run (paused and skipped channels don't count)."""
        return all(c.status != "failed" for c in self.channels)

    @property
    def sent(self) -> int:
        return sum(c.sent for c in self.channels)

    def summary(self) -> str:
        parts = [f"{self.count('done')} done", f"{self.sent} messages sent"]
        for status in ("failed", "paused", "skipped"):
            if self.count(status):
                parts.append(f"{self.count(status)} {status}")
        return f"{self.date}: " + ", ".join(parts)


Sleep = Callable[[float], Awaitable[None]]


class _ChannelPublisher:
    def __init__(
        self, store: Store, ledger: LedgerWriter, adapter: ChatAdapter, digest: Digest,
        sub: Subscription, *, generation: str, retries: int, backoff: float, sleep: Sleep,
    ) -> None:
        self.store, self.ledger, self.adapter, self.sub = store, ledger, adapter, sub
        self.view = view(digest, sub)
        self.generation, self.retries, self.backoff, self.sleep = (
            generation, retries, backoff, sleep)
        self.sent = self.already = self.settled = 0
        self.part = 0  # the message being delivered
        self.key = ""

    def _row(self, part: int, status: str, key: str, ref: DeliveryRef | None = None,
             detail: str = "") -> Delivery:
        return Delivery(
            digest_date=self.view.date, platform=self.sub.platform, channel=self.sub.channel,
            part=part, status=status, workspace=self.sub.workspace,
            message_id=ref.message_id if ref else None, thread_id=ref.thread_id if ref else None,
            nonce=key, detail=detail,
        )

    async def run(self) -> None:
        ledger = {} if self.generation else {
            d.part: d for d in await self.store.deliveries(
                self.view.date, self.sub.platform, self.sub.channel)
        }
        parent: DeliveryRef | None = None
        for part in range(len(self.view.papers) + 1):
            self.part = part
            ref = await self._deliver(part, parent, ledger.get(part))
            if part == 0:
                parent = ref

    async def _deliver(self, part: int, parent: DeliveryRef | None, row: Delivery | None
                       ) -> DeliveryRef:
        if row is not None and row.status == "sent" and row.message_id:
            self.already += 1
            return DeliveryRef(row.message_id, row.thread_id)
        key = (row.nonce if row is not None and row.nonce else
               delivery_key(self.view.date, self.sub.platform, self.sub.channel, part,
                            self.generation))
        self.key = key
        in_doubt = row is not None and row.status == "pending"
        for attempt in range(self.retries + 1):
            try:
                if in_doubt:
                    found = await self.adapter.find_message(self.sub.channel, key, parent)
                    if found is not None:
                        await self.ledger.record(
                            self._row(part, "sent", key, found, "settled after doubt"))
                        self.settled += 1
                        self._log(part, found, "settled")
                        return found
                else:
                    await self.ledger.record(self._row(part, "pending", key))
                in_doubt = True  # from here on a failure may have delivered the message
                ref = await self._send(part, parent, key)
                await self.ledger.record(self._row(part, "sent", key, ref))
                self.sent += 1
                self._log(part, ref, "sent")
                return ref
            except TransientDeliveryError as exc:
                if attempt == self.retries:
                    raise
                delay = self.backoff * 2**attempt
                log.info("%s part %d: %s; retrying in %.2fs", self.sub.target, part,
                         _one_line(exc), delay)
                await self.sleep(delay)
        raise AssertionError("unreachable")

    async def _send(self, part: int, parent: DeliveryRef | None, key: str) -> DeliveryRef:
        if part == 0:
            return await self.adapter.send_parent(self.sub.channel, self.view, key=key)
        assert parent is not None
        paper = self.view.papers[part - 1]
        return await self.adapter.send_paper(self.sub.channel, parent, self.view, paper, key=key)

    def _log(self, part: int, ref: DeliveryRef, how: str) -> None:
        what = "parent" if part == 0 else f"paper {part}"
        thread = f" in thread {ref.thread_id}" if ref.thread_id and part else ""
        log.info("%s %s %s of %s -> message %s%s", how, self.sub.target, what,
                 self.view.date, ref.message_id, thread)

    def report(self, status: str, detail: str = "") -> ChannelReport:
        return ChannelReport(
            platform=self.sub.platform, channel=self.sub.channel, status=status,
            total=len(self.view.papers) + 1, sent=self.sent, already=self.already,
            settled=self.settled, detail=detail,
        )


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


async def publish(
    store: Store,
    adapters: Mapping[str, ChatAdapter],
    digest: Digest,
    subscriptions: Iterable[Subscription],
    *,
    force: bool = False,
    concurrency: int | Mapping[str, int] = PER_PLATFORM_CONCURRENCY,
    retries: int = 3,
    backoff: float = 1.0,
    sleep: Sleep = asyncio.sleep,
    public_url: str | None = None,
) -> PublishReport:
    """Post `digest` (each channel's view of it) to every subscription not paused.
    `force` posts again even where the ledger says it was sent (a fresh set of keys).
    `concurrency`: channels in flight per platform (one number, or per platform name).
    `public_url`: the web archive's address; the parent messages link the day's page."""
    if public_url:
        digest = replace(digest, web_url=day_url(public_url, digest.date))
    generation = secrets.token_hex(4) if force else ""
    ledger = LedgerWriter(store)
    limits: dict[str, asyncio.Semaphore] = {}

    async def one(sub: Subscription) -> ChannelReport:
        if sub.paused:
            return ChannelReport(sub.platform, sub.channel, "skipped",
                                 detail=f"paused: {sub.pause_reason or 'by hand'}")
        adapter = adapters.get(sub.platform)
        if adapter is None:
            return ChannelReport(sub.platform, sub.channel, "skipped",
                                 detail=f"no {sub.platform} adapter configured")
        try:
            worker = _ChannelPublisher(store, ledger, adapter, digest, sub, generation=generation,
                                       retries=retries, backoff=backoff, sleep=sleep)
        except ValueError as exc:  # a stored category the taxonomy no longer knows
            return ChannelReport(sub.platform, sub.channel, "failed", detail=_one_line(exc))
        if sub.platform not in limits:
            n = concurrency if isinstance(concurrency, int) else concurrency.get(
                sub.platform, PER_PLATFORM_CONCURRENCY)
            limits[sub.platform] = asyncio.Semaphore(n)
        async with limits[sub.platform]:
            try:
                await worker.run()
            except PermanentDeliveryError as exc:
                reason = f"{digest.date}: {_one_line(exc)}"
                await store.set_paused(sub.platform, sub.channel, True, reason)
                await ledger.record(worker._row(worker.part, "failed", worker.key,
                                                        detail=_one_line(exc)))
                log.warning("paused %s: %s", sub.target, reason)
                return worker.report("paused", _one_line(exc))
            except TransientDeliveryError as exc:
                log.warning("%s unfinished, left for the next run: %s", sub.target,
                            _one_line(exc))
                return worker.report("failed", _one_line(exc))
            except Exception as exc:  # an adapter bug must not stop the other channels
                log.exception("%s failed", sub.target)
                return worker.report("failed", f"{type(exc).__name__}: {_one_line(exc)}")
        return worker.report("done")

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(sub)) for sub in subscriptions]
    report = PublishReport(digest.date, tuple(t.result() for t in tasks))
    log.info("published %s", report.summary())
    return report
