"""procrastinate's schema (the job queue of several workers), PostgreSQL only

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

The SQL is procrastinate's own (`procrastinate.schema.SchemaManager.get_schema()`, of the
version pinned in pyproject.toml: a newer procrastinate brings its own migration SQL,
applied by a later revision of ours), plus `hotpapers_job_errors`: the last error of a
job, one line, for `hotpapers jobs` (procrastinate keeps no error text). SQLite runs its
jobs in-process: nothing to do there.

The schema is a script of many statements (functions with `$$` bodies): it is run
through the driver connection (asyncpg's `execute` takes a script), not as one prepared
statement.
"""

import re

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ERRORS = """CREATE TABLE hotpapers_job_errors (
    job_id bigint PRIMARY KEY REFERENCES procrastinate_jobs(id) ON DELETE CASCADE,
    error text NOT NULL,
    at timestamp with time zone NOT NULL DEFAULT NOW()
)"""


def _script(sql: str) -> None:
    from sqlalchemy.util import await_only

    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    await_only(raw.execute(sql))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    _script(SchemaManager.get_schema())
    op.execute(ERRORS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    schema = SchemaManager.get_schema()
    op.execute("DROP TABLE IF EXISTS hotpapers_job_errors")
    tables = re.findall(r"CREATE TABLE (\w+)", schema)
    functions = re.findall(r"CREATE FUNCTION (\w+)", schema)
    types = re.findall(r"CREATE TYPE (\w+)", schema)
    for name in reversed(tables):
        op.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
    for name in functions:
        op.execute(f"DROP FUNCTION IF EXISTS {name} CASCADE")
    for name in types:
        op.execute(f"DROP TYPE IF EXISTS {name} CASCADE")
