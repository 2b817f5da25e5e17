"""initial schema: digests, papers, mentions, subscriptions, deliveries, kv

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("date", sa.Date, primary_key=True),
        sa.Column("counted_at", UTCDateTime, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("failed_sources", sa.JSON, nullable=False),
        sa.Column("listing", sa.JSON, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("stored_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "papers",
        sa.Column("arxiv_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
    )
    op.create_table(
        "digest_papers",
        sa.Column("date", sa.Date, sa.ForeignKey("digests.date", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("arxiv_id", sa.String(64), sa.ForeignKey("papers.arxiv_id"), primary_key=True),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("reposts", sa.Integer, nullable=False),
        sa.Column("likes", sa.Integer, nullable=False),
        sa.Column("by_source", sa.JSON, nullable=False),
    )
    op.create_index("ix_digest_papers_date_rank", "digest_papers", ["date", "rank"])
    op.create_table(
        "mentions",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("url", sa.String(512), primary_key=True),
        sa.Column("arxiv_ids", sa.JSON, nullable=False),
        sa.Column("author_name", sa.Text, nullable=False),
        sa.Column("author_handle", sa.Text, nullable=False),
        sa.Column("posted_at", UTCDateTime, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("reposts", sa.Integer, nullable=False),
        sa.Column("likes", sa.Integer, nullable=False),
        sa.Column("embed_html", sa.Text, nullable=True),
    )
    op.create_table(
        "digest_mentions",
        sa.Column("date", sa.Date, sa.ForeignKey("digests.date", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("arxiv_id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("url", sa.String(512), nullable=False),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False, server_default=""),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("min_score", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_papers", sa.Integer, nullable=True),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("pause_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("platform", "channel", name="uq_subscriptions_platform_channel"),
    )
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
    op.create_table(
        "kv",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("kv", "deliveries", "subscriptions", "digest_mentions", "mentions",
                  "digest_papers", "papers", "digests"):
        op.drop_table(table)
