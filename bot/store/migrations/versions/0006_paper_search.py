"""full-text search over papers: SQLite FTS5 table kept by triggers, PostgreSQL tsvector

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

SQLite: `papers_fts`, an external-content FTS5 table over papers (title, authors,
abstract) with the porter stemmer, kept in step by triggers and rebuilt from the rows
already stored. PostgreSQL: a stored generated `search` tsvector column (english
configuration; title weight A, authors B, abstract C) with a GIN index.
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, authors, abstract, content='papers', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, authors, abstract)
        VALUES (new.rowid, new.title, new.authors, new.abstract);
    END""",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.rowid, old.title, old.authors, old.abstract);
    END""",
    """CREATE TRIGGER papers_fts_update AFTER UPDATE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.rowid, old.title, old.authors, old.abstract);
        INSERT INTO papers_fts(rowid, title, authors, abstract)
        VALUES (new.rowid, new.title, new.authors, new.abstract);
    END""",
    "INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS papers_fts_update",
    "DROP TRIGGER IF EXISTS papers_fts_delete",
    "DROP TRIGGER IF EXISTS papers_fts_insert",
    "DROP TABLE IF EXISTS papers_fts",
]
POSTGRES_UP = [
    """ALTER TABLE papers ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(authors::text, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(abstract, '')), 'C')) STORED""",
    "CREATE INDEX ix_papers_search ON papers USING gin (search)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_papers_search",
    "ALTER TABLE papers DROP COLUMN IF EXISTS search",
]


def _run(statements: list[str]) -> None:
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
