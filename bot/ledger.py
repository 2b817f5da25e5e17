"""Group commit for the delivery ledger: the rows that many channels record at the same
moment share one transaction, and each `record` returns only once its row is committed
(so the publisher's "pending before send" rule still holds). A fan-out to a thousand
channels writes two rows per message; one transaction each would make the database,
not the platforms' rate limits, the bottleneck."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.models import Delivery
from bot.store import Store
from bot.store import schema as t

KEYS = ("digest_date", "platform", "channel", "part")


def _row(d: Delivery) -> dict[str, object]:
    return {
        "digest_date": d.digest_date, "platform": d.platform, "channel": d.channel,
        "part": d.part, "workspace": d.workspace, "status": d.status,
        "message_id": d.message_id, "thread_id": d.thread_id, "nonce": d.nonce,
        "detail": d.detail, "updated_at": d.updated_at or dt.datetime.now(dt.UTC),
    }


class LedgerWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[tuple[Delivery, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0

    async def record(self, delivery: Delivery) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((delivery, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            rows = list({tuple(_row(d)[k] for k in KEYS): _row(d) for d, _ in batch}.values())
            try:
                await self._write(rows)
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _write(self, rows: list[dict[str, object]]) -> None:
        self.transactions += 1
        async with self.store.engine.begin() as conn:
            await self.store._upsert(conn, t.deliveries, rows, KEYS)
