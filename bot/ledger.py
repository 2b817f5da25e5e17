"""Group commit for the delivery ledger: the rows that many channels record at the same
moment share one transaction, and each `record` returns only once its row is committed
(so the publisher's "pending before send" rule still holds). A fan-out to a thousand
channels writes two rows per message; one transaction each would make the database,
not the platforms' rate limits, the bottleneck."""

from __future__ import annotations

import asyncio

from bot.models import Delivery
from bot.store import Store


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
            try:
                await self._write([d for d, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _write(self, rows: list[Delivery]) -> None:
        self.transactions += 1
        await self.store.record_deliveries(rows)
