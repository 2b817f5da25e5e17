"""digest_posts: every post counted (or not) for a built digest's papers, for `explain`;
subscriptions.cadences: daily, weekly and/or monthly posts

Revision ID: 0007
Revises: 0006 (0002 before main brought 0005; re-chain to the head it lands on)
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_posts",
        sa.Column("date", sa.Date, sa.ForeignKey("digests.date", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("arxiv_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("url", sa.String(512), primary_key=True),
        sa.Column("author_handle", sa.Text, nullable=False, server_default=""),
        sa.Column("author_name", sa.Text, nullable=False, server_default=""),
        sa.Column("reposts", sa.Integer, nullable=False),
        sa.Column("likes", sa.Integer, nullable=False),
        sa.Column("factor", sa.Float, nullable=False),
        sa.Column("points", sa.Float, nullable=False),
        sa.Column("rule", sa.String(32), nullable=False, server_default=""),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
    )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("cadences", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("cadences")
    op.drop_table("digest_posts")
