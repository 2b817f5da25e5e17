"""The one delivery loop: one thread's plan, message by message, exactly once.

For each part of the plan (the parent, then each paper in planned order):

1. the ledger says "sent": skip it;
2. it says "pending" or "in_doubt" (a crash, or a send whose answer was lost): read the
   platform back (`ChatAdapter.find_message`); found -> record it as sent, else send;
3. check the thread's lease (`bot.leases`), record "pending" (the key, the attempt
   count, the first attempt's time), send with the key, record "sent" with the
   platform's message id;
4. classify a failure: `PermanentDeliveryError` -> recorded "failed" and raised (the
   publisher pauses the channel); `InDoubtDeliveryError` -> the next attempt reads back
   first; `TransientDeliveryError` (certainly not sent) -> the next attempt sends again;
   attempts are spaced by `bot.retry` (backoff) and, when they run out, the row stays
   "pending" for the next run, which settles it through step 2.

An adapter that can't read back (a webhook) gets an in-doubt send recorded "in_doubt"
and reported (`LeftInDoubt`), never resent, unless `resend_in_doubt` says so.

Each message settled is counted (`bot.metrics`: `hotpapers_messages_total` by platform
and state: sent, found by reading back, failed, in_doubt), and each retry of a message
(`hotpapers_retries_total`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.chat import ChatAdapter, Wanted
from bot.errors import (
    DeliveryError,
    InDoubtDeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from bot.leases import Claims
from bot.ledger import LedgerWriter
from bot.metrics import count_message, count_retry
from bot.models import PARENT, Delivery, DeliveryRef, Digest, ThreadPlan
from bot.plans import delivery_key, part_label
from bot.retry import Retryable, RetryPolicy, retrying
from bot.store import Store
from bot.store.threads import ThreadKey

log = logging.getLogger("hotpapers.delivery")

Sleep = Callable[[float], Awaitable[None]]


class LeftInDoubt(DeliveryError):
    """A send may have landed and the platform can't be read back (a webhook): the
    message is recorded "in_doubt" and not resent unless the operator asks."""

    def __init__(self, message: str, part: str) -> None:
        super().__init__(message)
        self.part = part


@dataclass
class _Attempts:
    count: int
    since: dt.datetime | None
    doubt: bool


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ThreadDelivery:
    """Delivers `plan` (shown as `shown`, its view of the digest) through `adapter`."""

    def __init__(self, *, store: Store, ledger: LedgerWriter, adapter: ChatAdapter,
                 plan: ThreadPlan, shown: Digest, rows: Mapping[str, Delivery],
                 claims: Claims, policy: RetryPolicy, sleep: Sleep = asyncio.sleep,
                 resend_in_doubt: bool = False) -> None:
        self.store, self.ledger, self.adapter, self.plan, self.shown = (
            store, ledger, adapter, plan, shown)
        self.rows, self.claims, self.policy, self.sleep = rows, claims, policy, sleep
        self.resend_in_doubt = resend_in_doubt
        self.sent = self.already = self.settled = 0
        self.part = PARENT  # the part being delivered
        self._papers = {p.paper.arxiv_id: p for p in shown.papers}

    @property
    def thread_key(self) -> ThreadKey:
        p = self.plan
        return (p.digest_key, p.platform, p.channel, p.thread)

    @property
    def total(self) -> int:
        return len(self.plan.all_parts)

    async def run(self) -> None:
        parent: DeliveryRef | None = None
        for part in self.plan.all_parts:
            self.part = part
            ref = await self._deliver(part, parent)
            if part == PARENT:
                parent = ref

    # --- one part ------------------------------------------------------------------------
    async def _deliver(self, part: str, parent: DeliveryRef | None) -> DeliveryRef:
        row = self.rows.get(part)
        if row is not None and row.ref is not None:
            self.already += 1
            return row.ref
        key = row.key if row is not None and row.key else delivery_key(*self.thread_key, part)
        # Tried before and not known to be there: look before sending again (a "failed"
        # message too, where the platform can be read: a refusal may follow a landing,
        # e.g. a Discord parent whose thread could not be made).
        tried = row is not None and (row.status in ("pending", "in_doubt") or (
            row.status == "failed" and self.adapter.reads_back))
        state = _Attempts(count=row.attempts if row else 0,
                          since=row.first_attempt_at if row else None, doubt=tried)
        if state.doubt and not self.adapter.reads_back:
            if not self.resend_in_doubt:
                raise await self._left_in_doubt(part, key, state, "the last run's send")
            state.doubt = False  # the operator chose to send it again
        try:
            return await retrying(lambda: self._attempt(part, parent, key, state),
                                  self.policy, what=f"{self.plan.target} {part}",
                                  sleep=self.sleep, on_retry=self._count_retry)
        except Retryable as exc:
            raise TransientDeliveryError(exc.problem) from None

    async def _attempt(self, part: str, parent: DeliveryRef | None, key: str,
                       state: _Attempts) -> DeliveryRef:
        if state.doubt:
            found = await self._read_back(part, parent, key, state)
            if found is not None:
                await self._record(part, "sent", key, state, found, "settled after doubt")
                self.settled += 1
                count_message(self.plan.platform, "found")
                self._log(part, found, "settled")
                return found
            state.doubt = False  # not there: it never landed
        self.claims.check(self.thread_key)
        state.count += 1
        state.since = state.since or _now()
        await self._record(part, "pending", key, state)
        try:
            ref = await self._send(part, parent, key)
        except InDoubtDeliveryError as exc:
            state.doubt = True
            if not self.adapter.reads_back:
                raise await self._left_in_doubt(part, key, state, _one_line(exc)) from None
            raise Retryable(f"{_one_line(exc)} (in doubt: reading back first)") from None
        except PermanentDeliveryError as exc:
            await self._record(part, "failed", key, state, detail=_one_line(exc))
            count_message(self.plan.platform, "failed")
            raise
        except TransientDeliveryError as exc:
            raise Retryable(_one_line(exc)) from None
        await self._record(part, "sent", key, state, ref)
        self.sent += 1
        count_message(self.plan.platform, "sent")
        self._log(part, ref, "sent")
        return ref

    async def _read_back(self, part: str, parent: DeliveryRef | None, key: str,
                         state: _Attempts) -> DeliveryRef | None:
        wanted = Wanted(key=key, part=part, since=state.since or _now())
        known = await self.store.recorded_message_ids(self.plan.platform, self.plan.channel,
                                                      wanted.not_before)
        wanted = Wanted(key=key, part=part, since=wanted.since, known=known,
                        replies=len(self.plan.parts))
        try:
            return await self.adapter.find_message(self.plan.channel, wanted, parent)
        except TransientDeliveryError as exc:
            raise Retryable(f"reading back: {_one_line(exc)}") from None

    async def _send(self, part: str, parent: DeliveryRef | None, key: str) -> DeliveryRef:
        channel = self.plan.channel
        if part == PARENT:
            return await self.adapter.send_parent(channel, self.shown, key=key,
                                                  notes=self.plan.notes)
        assert parent is not None
        paper = self._papers[part]
        return await self.adapter.send_paper(channel, parent, self.shown, paper, key=key)

    async def _left_in_doubt(self, part: str, key: str, state: _Attempts,
                             why: str) -> LeftInDoubt:
        what = part_label(self.plan, part)
        detail = (f"{what} may have been posted ({why}); {self.plan.platform} can't be read "
                  "back: look at the channel, then run again with --resend-in-doubt to send "
                  "it again")
        await self._record(part, "in_doubt", key, state, detail=detail)
        count_message(self.plan.platform, "in_doubt")
        return LeftInDoubt(f"{self.plan.target}: {detail}", part)

    def _count_retry(self, _attempt: int, _attempts: int, _problem: str, _wait: float) -> None:
        count_retry(self.plan.platform)

    # --- the ledger ----------------------------------------------------------------------
    async def _record(self, part: str, status: str, key: str, state: _Attempts,
                      ref: DeliveryRef | None = None, detail: str = "") -> None:
        p = self.plan
        await self.ledger.record(Delivery(
            digest_key=p.digest_key, platform=p.platform, channel=p.channel, thread=p.thread,
            part=part, status=status, workspace=p.workspace,
            message_id=ref.message_id if ref else None, thread_id=ref.thread_id if ref else None,
            permalink=ref.permalink if ref else None, key=key, detail=detail,
            attempts=state.count, first_attempt_at=state.since,
        ))

    def _log(self, part: str, ref: DeliveryRef, how: str) -> None:
        thread = f" in thread {ref.thread_id}" if ref.thread_id and part != PARENT else ""
        log.info("%s %s %s of %s (thread %s) -> message %s%s", how, self.plan.target,
                 part_label(self.plan, part), self.plan.digest_key, self.plan.thread,
                 ref.message_id, thread)
