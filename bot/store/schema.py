"""The database schema (SQLAlchemy Core). Alembic migrations in `migrations/` create it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no offset: store naive UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).replace(tzinfo=None)  # type: ignore[no-any-return]

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]


metadata = MetaData()

# The largest count, score or rank a row holds: PostgreSQL's INTEGER (SQLite's is wider).
MAX_INTEGER = 2**31 - 1

digests = Table(
    "digests",
    metadata,
    Column("date", Date, primary_key=True),
    Column("counted_at", UTCDateTime, nullable=False),
    Column("sources", JSON, nullable=False),
    Column("failed_sources", JSON, nullable=False),
    Column("listing", JSON, nullable=False),
    Column("title", Text, nullable=False, server_default=""),
    Column("meta", JSON, nullable=False),
    Column("stored_at", UTCDateTime, nullable=False),
    # Provenance (migration 0005): "imported" | "complete" | "partial" (`bot.models`);
    # the social sources a build asked, its coverage notes, and for a partial digest
    # when it may be built again and how many builds fell short so far.
    Column("status", String(16), nullable=False, server_default="complete"),
    Column("asked_sources", JSON, nullable=True),
    Column("coverage", JSON, nullable=True),
    Column("retry_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
)

papers = Table(
    "papers",
    metadata,
    Column("arxiv_id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("authors", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("abstract", Text, nullable=False),
)

digest_papers = Table(
    "digest_papers",
    metadata,
    Column("date", Date, ForeignKey("digests.date", ondelete="CASCADE"), primary_key=True),
    Column("arxiv_id", String(64), ForeignKey("papers.arxiv_id"), primary_key=True),
    Column("rank", Integer, nullable=False),
    Column("score", Integer, nullable=False),
    Column("reposts", Integer, nullable=False),
    Column("likes", Integer, nullable=False),
    Column("by_source", JSON, nullable=False),
    # The paper as listed that day (title, authors, categories, abstract): `papers` holds
    # the newest metadata, and cross-lists add categories later. NULL: use `papers`.
    Column("paper", JSON, nullable=True),
    Index("ix_digest_papers_date_rank", "date", "rank"),
)

mentions = Table(
    "mentions",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("url", String(512), primary_key=True),
    Column("arxiv_ids", JSON, nullable=False),
    Column("author_name", Text, nullable=False),
    Column("author_handle", Text, nullable=False),
    Column("posted_at", UTCDateTime, nullable=True),
    Column("text", Text, nullable=False),
    Column("language", String(16), nullable=True),
    Column("reposts", Integer, nullable=False),
    Column("likes", Integer, nullable=False),
    Column("embed_html", Text, nullable=True),
)

digest_mentions = Table(
    "digest_mentions",
    metadata,
    Column("date", Date, ForeignKey("digests.date", ondelete="CASCADE"), primary_key=True),
    Column("arxiv_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("source", String(32), nullable=False),
    Column("url", String(512), nullable=False),
)

# Every post that linked a listed paper of a built digest, as it was counted that day
# (what `hotpapers explain` lists): who posted it, its counts then, counted in full
# (factor 1), counted down (0 < factor < 1) or not counted (factor 0), with the rule and
# the reason. (Only the posts shown under a paper are kept whole, in `mentions`.)
digest_posts = Table(
    "digest_posts",
    metadata,
    Column("date", Date, ForeignKey("digests.date", ondelete="CASCADE"), primary_key=True),
    Column("arxiv_id", String(64), primary_key=True),
    Column("source", String(32), primary_key=True),
    Column("url", String(512), primary_key=True),
    Column("author_handle", Text, nullable=False, server_default=""),
    Column("author_name", Text, nullable=False, server_default=""),
    Column("reposts", Integer, nullable=False),
    Column("likes", Integer, nullable=False),
    Column("factor", Float, nullable=False),
    Column("points", Float, nullable=False),
    Column("rule", String(32), nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("workspace", String(64), nullable=False, server_default=""),
    Column("channel", String(128), nullable=False),
    Column("categories", JSON, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("min_score", Integer, nullable=False, server_default="0"),
    Column("max_papers", Integer, nullable=True),
    Column("paused", Boolean, nullable=False, server_default=false()),
    Column("pause_reason", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    # ["daily"], ["weekly"], ["daily", "monthly"] ...; NULL: ["daily"] (rows from before)
    Column("cadences", JSON, nullable=True),
    UniqueConstraint("platform", "channel", name="uq_subscriptions_platform_channel"),
)

# One thread of one digest in one channel: its plan (see bot.models.ThreadPlan).
thread_plans = Table(
    "thread_plans",
    metadata,
    Column("digest_key", String(32), primary_key=True),
    Column("platform", String(32), primary_key=True),
    Column("channel", String(128), primary_key=True),
    Column("thread", String(64), primary_key=True),
    Column("workspace", String(64), nullable=False, server_default=""),
    Column("view", JSON, nullable=True),  # NULL: posted before plans existed (legacy)
    Column("view_hash", String(32), nullable=False, server_default=""),
    Column("parent", JSON, nullable=False),  # what the parent says: heading, notes
    Column("parts", JSON, nullable=False),  # the arXiv ids, in order
    Column("origin", String(16), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

# Who is posting a thread right now: one row per thread while a poster holds it.
thread_leases = Table(
    "thread_leases",
    metadata,
    Column("digest_key", String(32), primary_key=True),
    Column("platform", String(32), primary_key=True),
    Column("channel", String(128), primary_key=True),
    Column("thread", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Index("ix_thread_leases_holder", "holder"),
)

# The fleet: every live `hotpapers run` process, its roles and its last heartbeat
# (`bot.fleet`); a worker not seen for the fleet's ttl is gone.
workers = Table(
    "workers",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("host", String(128), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("roles", String(128), nullable=False),  # comma-separated
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Index("ix_workers_last_seen", "last_seen"),
)

# Named leases (a Discord shard, ...): one holder at a time, taken atomically, expiring.
named_leases = Table(
    "named_leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_named_leases_holder", "holder"),
)

# The delivery ledger: one row per message of a thread, part = "parent" or an arXiv id.
deliveries = Table(
    "deliveries",
    metadata,
    Column("digest_key", String(32), primary_key=True),
    Column("platform", String(32), primary_key=True),
    Column("channel", String(128), primary_key=True),
    Column("thread", String(64), primary_key=True),
    Column("part", String(64), primary_key=True),
    Column("workspace", String(64), nullable=False, server_default=""),
    Column("status", String(16), nullable=False),
    Column("message_id", String(128), nullable=True),
    Column("thread_id", String(128), nullable=True),
    Column("permalink", Text, nullable=True),
    Column("key", String(64), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("first_attempt_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_deliveries_channel_updated", "platform", "channel", "updated_at"),
)

kv = Table(
    "kv",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)
