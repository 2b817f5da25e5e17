"""digests: provenance and completeness (status, asked_sources, coverage, retry_at, attempts)

Existing rows: a digest built from the live sources has always carried `listing_via` in
its `meta` (`bot.digest`, since the first live build); every other row came from the
blog archive (`hotpapers import`, or the bundled sample older versions loaded into an
empty store; their `meta` holds only the post's layout keys: `front_matter`,
`blank_lines_after_front_matter`, `counted_at/<id>`, often none). So: no `listing_via`
-> "imported"; built with failed sources -> "partial" (due for a rebuild now); built
without -> "complete". A built row asked its answering and its failed sources.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BUILT_KEY = "listing_via"


def upgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False,
                                   server_default="complete"))
        batch.add_column(sa.Column("asked_sources", sa.JSON, nullable=True))
        batch.add_column(sa.Column("coverage", sa.JSON, nullable=True))
        batch.add_column(sa.Column("retry_at", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    digests = sa.table(
        "digests", sa.column("date", sa.Date), sa.column("meta", sa.JSON),
        sa.column("sources", sa.JSON), sa.column("failed_sources", sa.JSON),
        sa.column("status", sa.String), sa.column("asked_sources", sa.JSON),
        sa.column("coverage", sa.JSON), sa.column("retry_at", UTCDateTime),
    )
    conn = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    rows: list[Any] = list(conn.execute(sa.select(
        digests.c.date, digests.c.meta, digests.c.sources, digests.c.failed_sources)))
    for row in rows:
        date, meta, sources, failed = row[0], row[1] or {}, row[2] or [], row[3] or []
        if BUILT_KEY in meta:
            values = {"status": "partial" if failed else "complete",
                      "asked_sources": [*sources, *failed],
                      "retry_at": now if failed else None}
        else:
            values = {"status": "imported", "asked_sources": [], "retry_at": None}
        conn.execute(digests.update().where(digests.c.date == date)
                     .values(coverage=[], **values))


def downgrade() -> None:
    with op.batch_alter_table("digests") as batch:
        for column in ("attempts", "retry_at", "coverage", "asked_sources", "status"):
            batch.drop_column(column)
