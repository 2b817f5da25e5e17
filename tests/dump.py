"""Everything a SQLite database holds, as text: every row of every table (for tests
that check no secret is stored)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def dump_sqlite(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        lines = []
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                lines.append(f"{table}: {row!r}")
        return "\n".join(lines)
    finally:
        conn.close()
