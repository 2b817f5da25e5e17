"""thread plans, thread leases, and a ledger keyed by (digest key, channel, thread, part)

Before: one `deliveries` row per (date, platform, channel, position), position 0 the
parent and n the paper ranked n in whatever view the channel had when the row was
written (a view that changed in between sent the wrong papers: the bug this fixes).

After:
- `thread_plans`: per (digest_key, platform, channel, thread) the view, what the parent
  says and the ordered arXiv ids, stored at the first attempt;
- `thread_leases`: one row per thread while a poster holds it;
- `deliveries`: per (digest_key, platform, channel, thread, part), part "parent" or an
  arXiv id, with attempts, the first attempt's time and a permalink.

Old rows are converted, not dropped: digest_key = the date (ISO), thread "1", part
"parent" for position 0 and "#n" for position n (a position can't be mapped back to a
paper for sure, so it is kept as a position, readable in `hotpapers deliveries`). Each
converted thread gets a plan with origin "legacy" and no view: it is never resumed or
resent (`hotpapers post --again` posts that day anew).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD = "deliveries_0002"


def _new_tables() -> None:
    op.create_table(
        "thread_plans",
        sa.Column("digest_key", sa.String(32), primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(128), primary_key=True),
        sa.Column("thread", sa.String(64), primary_key=True),
        sa.Column("workspace", sa.String(64), nullable=False, server_default=""),
        sa.Column("view", sa.JSON, nullable=True),
        sa.Column("view_hash", sa.String(32), nullable=False, server_default=""),
        sa.Column("parent", sa.JSON, nullable=False),
        sa.Column("parts", sa.JSON, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "thread_leases",
        sa.Column("digest_key", sa.String(32), primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(128), primary_key=True),
        sa.Column("thread", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("acquired_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_thread_leases_holder", "thread_leases", ["holder"])
    op.create_table(
        "deliveries",
        sa.Column("digest_key", sa.String(32), primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(128), primary_key=True),
        sa.Column("thread", sa.String(64), primary_key=True),
        sa.Column("part", sa.String(64), primary_key=True),
        sa.Column("workspace", sa.String(64), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("thread_id", sa.String(128), nullable=True),
        sa.Column("permalink", sa.Text, nullable=True),
        sa.Column("key", sa.String(64), nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_attempt_at", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_deliveries_channel_updated", "deliveries",
                    ["platform", "channel", "updated_at"])


def _old_table(name: str) -> sa.TableClause:
    return sa.table(
        name, sa.column("digest_date", sa.Date), sa.column("platform", sa.String),
        sa.column("channel", sa.String), sa.column("part", sa.Integer),
        sa.column("workspace", sa.String), sa.column("status", sa.String),
        sa.column("message_id", sa.String), sa.column("thread_id", sa.String),
        sa.column("nonce", sa.String), sa.column("detail", sa.Text),
        sa.column("updated_at", UTCDateTime))


def _new_deliveries() -> sa.TableClause:
    return sa.table(
        "deliveries", sa.column("digest_key", sa.String), sa.column("platform", sa.String),
        sa.column("channel", sa.String), sa.column("thread", sa.String),
        sa.column("part", sa.String), sa.column("workspace", sa.String),
        sa.column("status", sa.String), sa.column("message_id", sa.String),
        sa.column("thread_id", sa.String), sa.column("permalink", sa.Text),
        sa.column("key", sa.String), sa.column("detail", sa.Text),
        sa.column("attempts", sa.Integer), sa.column("first_attempt_at", UTCDateTime),
        sa.column("updated_at", UTCDateTime))


def _plans() -> sa.TableClause:
    return sa.table(
        "thread_plans", sa.column("digest_key", sa.String), sa.column("platform", sa.String),
        sa.column("channel", sa.String), sa.column("thread", sa.String),
        sa.column("workspace", sa.String), sa.column("view", sa.JSON),
        sa.column("view_hash", sa.String), sa.column("parent", sa.JSON),
        sa.column("parts", sa.JSON), sa.column("origin", sa.String),
        sa.column("created_at", UTCDateTime))


def upgrade() -> None:
    op.rename_table("deliveries", OLD)
    _new_tables()
    bind = op.get_bind()
    old = _old_table(OLD)
    rows = bind.execute(sa.select(old)).mappings().all()
    now = dt.datetime.now(dt.UTC)
    converted, plans = [], {}
    for r in rows:
        key = r["digest_date"].isoformat()
        converted.append({
            "digest_key": key, "platform": r["platform"], "channel": r["channel"],
            "thread": "1", "part": "parent" if r["part"] == 0 else f"#{r['part']}",
            "workspace": r["workspace"], "status": r["status"],
            "message_id": r["message_id"], "thread_id": r["thread_id"], "permalink": None,
            "key": r["nonce"], "detail": r["detail"], "attempts": 1,
            "first_attempt_at": r["updated_at"], "updated_at": r["updated_at"],
        })
        plans[(key, r["platform"], r["channel"])] = {
            "digest_key": key, "platform": r["platform"], "channel": r["channel"],
            "thread": "1", "workspace": r["workspace"], "view": None, "view_hash": "",
            "parent": {"heading": f"Hot Papers {key}", "notes": []}, "parts": [],
            "origin": "legacy", "created_at": now,
        }
    if converted:
        op.bulk_insert(_new_deliveries(), converted)
        op.bulk_insert(_plans(), list(plans.values()))
    op.drop_table(OLD)


def downgrade() -> None:
    """Back to positions: thread "1" only (other threads can't be told apart there),
    "parent" -> 0, an arXiv id -> its place in the plan, "#n" -> n."""
    bind = op.get_bind()
    plans = {(p["digest_key"], p["platform"], p["channel"]): list(p["parts"] or [])
             for p in bind.execute(sa.select(_plans()).where(
                 sa.column("thread") == "1")).mappings()}
    rows = bind.execute(sa.select(_new_deliveries()).where(
        sa.column("thread") == "1")).mappings().all()
    back = []
    for r in rows:
        part = str(r["part"])
        parts = plans.get((r["digest_key"], r["platform"], r["channel"]), [])
        if part == "parent":
            position = 0
        elif part.startswith("#"):
            position = int(part[1:])
        elif part in parts:
            position = parts.index(part) + 1
        else:
            continue
        back.append({
            "digest_date": dt.date.fromisoformat(r["digest_key"][:10]),
            "platform": r["platform"], "channel": r["channel"], "part": position,
            "workspace": r["workspace"], "status": r["status"],
            "message_id": r["message_id"], "thread_id": r["thread_id"],
            "nonce": r["key"], "detail": r["detail"], "updated_at": r["updated_at"],
        })
    op.drop_table("deliveries")
    op.drop_table("thread_leases")
    op.drop_table("thread_plans")
    op.create_table(
        "deliveries",
        sa.Column("digest_date", sa.Date, primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(128), primary_key=True),
        sa.Column("part", sa.Integer, primary_key=True),
        sa.Column("workspace", sa.String(64), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("thread_id", sa.String(128), nullable=True),
        sa.Column("nonce", sa.String(64), nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    if back:
        op.bulk_insert(_old_table("deliveries"), back)
