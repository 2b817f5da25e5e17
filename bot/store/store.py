"""`Store`: the one persistence API the core uses (digests, papers, mentions,
subscriptions, thread plans, leases and the delivery ledger, and a small key/value table
for the scheduler)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.models import (
    PARTIAL,
    STORED_STATUSES,
    CountedPost,
    Digest,
    Mention,
    Paper,
    RankedPaper,
)
from bot.store import schema as t
from bot.store.fleet import FleetTables
from bot.store.migrate import upgrade
from bot.store.rows import (
    DIGEST_QUERY,
    mention_from_row,
    paper_from_row,
    source_counts,
    source_counts_json,
)
from bot.store.subscriptions import SubscriptionTables
from bot.store.threads import ThreadTables


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store(SubscriptionTables, ThreadTables, FleetTables):
    """Async access to the database. Create with `await Store.open(url)`. Plans,
    leases and the delivery ledger: `bot.store.threads`; subscriptions and the key/value
    table: `bot.store.subscriptions`; worker heartbeats and named leases:
    `bot.store.fleet`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._upserts: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Any] = {}

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> Store:
        parsed = make_url(url)
        kwargs: dict[str, Any] = {}
        database = parsed.database
        if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        engine = create_async_engine(url, **kwargs)
        store = cls(engine)
        if store.dialect == "sqlite":
            from sqlalchemy import event

            @event.listens_for(engine.sync_engine, "connect")
            def _pragmas(conn: Any, _record: Any) -> None:
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()

        if migrate:
            await store.migrate()
        return store

    async def migrate(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(upgrade)

    async def close(self) -> None:
        await self.engine.dispose()

    # --- helpers -------------------------------------------------------------------
    def _insert(self, table: Table) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    async def _upsert(
        self,
        conn: AsyncConnection,
        table: Table,
        rows: Sequence[dict[str, Any]],
        keys: Sequence[str],
        *,
        update_cols: Iterable[str] | None = None,
    ) -> None:
        if not rows:
            return
        cols = tuple(update_cols) if update_cols is not None else tuple(
            c for c in rows[0] if c not in keys
        )
        shape = (table.name, tuple(keys), cols)
        stmt = self._upserts.get(shape)  # built once: the ledger upserts thousands of times
        if stmt is None:
            stmt = self._insert(table)
            if cols:
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(keys), set_={c: stmt.excluded[c] for c in cols}
                )
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
            self._upserts[shape] = stmt
        for i in range(0, len(rows), 500):
            await conn.execute(stmt, list(rows[i : i + 500]))

    # --- papers and mentions -------------------------------------------------------
    @staticmethod
    def _paper_row(p: Paper) -> dict[str, Any]:
        return {
            "arxiv_id": p.arxiv_id,
            "title": p.title,
            "authors": list(p.authors),
            "categories": list(p.categories),
            "abstract": p.abstract,
        }

    @staticmethod
    def _mention_row(m: Mention) -> dict[str, Any]:
        return {
            "source": m.source,
            "url": m.url,
            "arxiv_ids": list(m.arxiv_ids),
            "author_name": m.author_name,
            "author_handle": m.author_handle,
            "posted_at": m.posted_at,
            "text": m.text,
            "language": m.language,
            "reposts": m.reposts,
            "likes": m.likes,
            "embed_html": m.embed_html,
        }

    async def save_papers(self, papers: Iterable[Paper]) -> None:
        rows = list({p.arxiv_id: self._paper_row(p) for p in papers}.values())
        async with self.engine.begin() as conn:
            await self._upsert(conn, t.papers, rows, ["arxiv_id"])

    async def get_papers(self, ids: Iterable[str]) -> dict[str, Paper]:
        wanted = list(set(ids))
        out: dict[str, Paper] = {}
        async with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                res = await conn.execute(
                    select(t.papers).where(t.papers.c.arxiv_id.in_(wanted[i : i + 500]))
                )
                for r in res.mappings():
                    out[r["arxiv_id"]] = paper_from_row(r)
        return out

    # --- digests -------------------------------------------------------------------
    async def save_digest(
        self, digest: Digest, *, counted: Mapping[str, Sequence[CountedPost]] | None = None
    ) -> None:
        """Store a digest, replacing any stored for that date, in one transaction.
        Whether it should replace the stored one is the caller's decision
        (`bot.provenance.replaces`). The bundled sample is never stored (ValueError).
        `counted`: arXiv id -> every post linking that paper as it was counted (for
        `explain`); the posts stored for the date before are replaced either way."""
        async with self.engine.begin() as conn:
            await self._save_digest(conn, digest)
            if counted:
                await self._save_counted(conn, digest, counted)

    async def _save_counted(self, conn: AsyncConnection, d: Digest,
                            counted: Mapping[str, Sequence[CountedPost]]) -> None:
        listed = {rp.paper.arxiv_id for rp in d.papers}
        rows = [
            {"date": d.date, "arxiv_id": c.arxiv_id, "source": c.mention.source,
             "url": c.mention.url, "author_handle": c.mention.author_handle,
             "author_name": c.mention.author_name, "reposts": c.mention.reposts,
             "likes": c.mention.likes, "factor": c.factor, "points": c.points,
             "rule": c.rule, "reason": c.reason}
            for arxiv_id, cs in counted.items() if arxiv_id in listed for c in cs
        ]
        for i in range(0, len(rows), 1000):
            await conn.execute(t.digest_posts.insert(), rows[i : i + 1000])

    async def save_digests(self, digests: Iterable[Digest]) -> None:
        async with self.engine.begin() as conn:
            for d in digests:
                await self._save_digest(conn, d)

    async def set_retry(self, date: dt.date, retry_at: dt.datetime | None, attempts: int
                        ) -> None:
        """A partial digest's next rebuild time and its count of builds that fell short."""
        async with self.engine.begin() as conn:
            await conn.execute(update(t.digests).where(t.digests.c.date == date)
                               .values(retry_at=retry_at, attempts=attempts))

    async def partial_dates(self, *, due_by: dt.datetime | None = None
                            ) -> list[tuple[dt.date, dt.datetime | None]]:
        """(date, retry_at) of every partial digest, oldest first; with `due_by`, only
        those whose retry time has come by then."""
        q = (select(t.digests.c.date, t.digests.c.retry_at)
             .where(t.digests.c.status == PARTIAL).order_by(t.digests.c.date))
        if due_by is not None:
            q = q.where(t.digests.c.retry_at.is_not(None), t.digests.c.retry_at <= due_by)
        async with self.engine.connect() as conn:
            return [(r[0], r[1]) for r in await conn.execute(q)]

    async def _save_digest(self, conn: AsyncConnection, d: Digest) -> None:
        if d.status not in STORED_STATUSES:
            raise ValueError(f"a {d.status} digest is never stored ({d.date})")
        await conn.execute(delete(t.digest_posts).where(t.digest_posts.c.date == d.date))
        await conn.execute(delete(t.digest_mentions).where(t.digest_mentions.c.date == d.date))
        await conn.execute(delete(t.digest_papers).where(t.digest_papers.c.date == d.date))
        await self._upsert(
            conn,
            t.digests,
            [
                {
                    "date": d.date,
                    "counted_at": d.counted_at,
                    "sources": list(d.sources),
                    "failed_sources": list(d.failed_sources),
                    "listing": list(d.listing),
                    "title": d.title,
                    "meta": dict(d.meta),
                    "stored_at": _now(),
                    "status": d.status,
                    "asked_sources": list(d.asked),
                    "coverage": list(d.coverage),
                    "retry_at": d.retry_at,
                    "attempts": d.attempts,
                }
            ],
            ["date"],
        )
        await self._upsert(
            conn, t.papers, list({rp.paper.arxiv_id: self._paper_row(rp.paper)
                                  for rp in d.papers}.values()), ["arxiv_id"]
        )
        mention_rows = {
            (m.source, m.url): self._mention_row(m) for rp in d.papers for m in rp.mentions
        }
        await self._upsert(conn, t.mentions, list(mention_rows.values()), ["source", "url"])
        dp_rows = [
            {
                "date": d.date,
                "arxiv_id": rp.paper.arxiv_id,
                "rank": rp.rank,
                "score": rp.score,
                "reposts": rp.reposts,
                "likes": rp.likes,
                "by_source": source_counts_json(rp.by_source),
                "paper": self._paper_row(rp.paper),  # as listed that day
            }
            for rp in d.papers
        ]
        if dp_rows:
            await conn.execute(t.digest_papers.insert(), dp_rows)
        dm_rows = [
            {"date": d.date, "arxiv_id": rp.paper.arxiv_id, "position": i,
             "source": m.source, "url": m.url}
            for rp in d.papers
            for i, m in enumerate(rp.mentions)
        ]
        if dm_rows:
            await conn.execute(t.digest_mentions.insert(), dm_rows)

    async def get_digest(self, date: dt.date) -> Digest | None:
        # One statement (the digest, its papers and their shown mentions, joined): each
        # round trip through the database driver costs more than the rows it returns.
        async with self.engine.connect() as conn:
            rows = (await conn.execute(DIGEST_QUERY, {"date": date})).mappings().all()
        if not rows:
            return None
        head = rows[0]
        ranked: list[RankedPaper] = []
        shown: list[Mention] = []
        for i, r in enumerate(rows):
            if r["dp_arxiv_id"] is None:
                break  # a digest without papers: one row, the head
            if r["m_source"] is not None:
                shown.append(mention_from_row({**r, "source": r["m_source"], "url": r["m_url"],
                                       "reposts": r["m_reposts"], "likes": r["m_likes"]}))
            if i + 1 < len(rows) and rows[i + 1]["dp_arxiv_id"] == r["dp_arxiv_id"]:
                continue
            listed = r["dp_paper"] or {
                "arxiv_id": r["dp_arxiv_id"], "title": r["p_title"], "authors": r["authors"],
                "categories": r["categories"], "abstract": r["abstract"],
            }
            ranked.append(RankedPaper(
                rank=r["rank"],
                paper=paper_from_row(listed),
                score=r["score"],
                reposts=r["dp_reposts"],
                likes=r["dp_likes"],
                mentions=tuple(shown),
                by_source=source_counts(r["by_source"]),
            ))
            shown = []
        return Digest(
            date=head["date"],
            papers=tuple(ranked),
            counted_at=head["counted_at"],
            sources=tuple(head["sources"]),
            failed_sources=tuple(head["failed_sources"]),
            listing=tuple(head["listing"]),
            title=head["title"],
            meta=tuple(sorted(head["meta"].items())),
            status=head["status"],
            asked=tuple(head["asked_sources"] or ()),
            coverage=tuple(head["coverage"] or ()),
            retry_at=head["retry_at"],
            attempts=head["attempts"],
        )

    async def digest_dates(self) -> list[dt.date]:
        async with self.engine.connect() as conn:
            res = await conn.execute(select(t.digests.c.date).order_by(t.digests.c.date))
            return [r[0] for r in res]

    async def latest_date(self) -> dt.date | None:
        dates = await self.digest_dates()
        return dates[-1] if dates else None

    async def nearest_dates(self, date: dt.date, n: int = 2) -> list[dt.date]:
        """Up to `n` stored dates closest to `date`, in date order."""
        dates = await self.digest_dates()
        return sorted(sorted(dates, key=lambda d: (abs((d - date).days), d))[:n])
