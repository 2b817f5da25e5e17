"""webhook channels hold a name or the webhook's id, never its URL (a secret)

The URL carries the webhook's token. Before issue 13 a webhook URL given as a target
(`post --to webhook:https://...`) was stored as the channel of subscriptions and
deliveries and in the schedule's state. Each
becomes the webhook's id (which names the configured webhook with that id, from
HOTPAPERS_DISCORD_WEBHOOKS or DISCORD_WEBHOOK_URL); any other token left in a text
column is hidden. A subscription whose webhook is not configured is paused by the next
post with a one-line reason. There is no way back: the tokens are gone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

URL = re.compile(r"^\S*?/webhooks/(\d{1,20})/[A-Za-z0-9._-]+\S*$")
TARGET = re.compile(r"webhook:\S*?/webhooks/(\d{1,20})/[A-Za-z0-9._-]+[^\s\",\]]*")
TOKEN = re.compile(r"(/webhooks/\d{1,20}/)[A-Za-z0-9._-]+")


def _scrub(text: str) -> str:
    return TOKEN.sub(r"\g<1>***", TARGET.sub(r"webhook:\g<1>", text))


def upgrade() -> None:
    conn = op.get_bind()
    subs = sa.table("subscriptions", sa.column("id"), sa.column("platform"),
                    sa.column("channel"), sa.column("pause_reason"))
    for row in conn.execute(sa.select(subs.c.id, subs.c.channel, subs.c.pause_reason)
                            .where(subs.c.platform == "webhook")).all():
        m = URL.match(row.channel)
        if m is None:
            continue
        taken = conn.execute(sa.select(subs.c.id).where(
            subs.c.platform == "webhook", subs.c.channel == m[1])).first()
        if taken is not None:  # the same webhook by id already: keep that one
            conn.execute(subs.delete().where(subs.c.id == row.id))
        else:
            conn.execute(subs.update().where(subs.c.id == row.id).values(
                channel=m[1], pause_reason=_scrub(row.pause_reason or "")))

    deliveries = sa.table("deliveries", sa.column("digest_date"), sa.column("platform"),
                          sa.column("channel"), sa.column("part"), sa.column("detail"))
    key = (deliveries.c.digest_date, deliveries.c.platform, deliveries.c.channel,
           deliveries.c.part)
    for row in conn.execute(sa.select(*key, deliveries.c.detail)
                            .where(deliveries.c.platform == "webhook")).all():
        m = URL.match(row.channel)
        if m is None:
            continue
        same = (deliveries.c.digest_date == row.digest_date,
                deliveries.c.platform == "webhook", deliveries.c.part == row.part)
        this = sa.and_(*same, deliveries.c.channel == row.channel)
        if conn.execute(sa.select(deliveries.c.part).where(
                *same, deliveries.c.channel == m[1])).first() is not None:
            conn.execute(deliveries.delete().where(this))
        else:
            conn.execute(deliveries.update().where(this).values(
                channel=m[1], detail=_scrub(row.detail or "")))

    kv = sa.table("kv", sa.column("key"), sa.column("value"))
    for row in conn.execute(sa.select(kv.c.key, kv.c.value)).all():
        clean = _scrub(row.value)
        if clean != row.value:
            conn.execute(kv.update().where(kv.c.key == row.key).values(value=clean))


def downgrade() -> None:
    pass  # the tokens are gone for good
