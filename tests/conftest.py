"""Shared fixtures: the reference data folder, throwaway SQLite and PostgreSQL stores."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.fakes.memory_chat import MemoryChatAdapter

pytest_plugins = ["tests.fakes.build_world"]  # the `world` fixture of the build tests

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`; tests that need it skip with a reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (outside the workplace)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def archive_dir(shared_data: Path) -> Path:
    return shared_data / "hot-papers-archive"


def _pg_available() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database on the local server, dropped afterwards."""
    if not _pg_available():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    import asyncpg

    name = f"hotpapers_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'hotpapers.db'}"


@pytest.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[Store]:
    store = await Store.open(sqlite_url)
    yield store
    await store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Parametrises a test over SQLite and the local PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hotpapers.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
async def any_store(any_store_url: str) -> AsyncIterator[Store]:
    store = await Store.open(any_store_url)
    yield store
    await store.close()


@pytest.fixture
def memory_chat() -> MemoryChatAdapter:
    """A fresh in-memory chat platform (tests/fakes/memory_chat.py)."""
    return MemoryChatAdapter()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test gets its own default database and no platform credentials."""
    from bot.settings import get_settings

    for var in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID",
                "SLACK_CLIENT_SECRET", "DISCORD_TOKEN",
                "DISCORD_WEBHOOK_URL", "HOTPAPERS_X_BEARER_TOKEN",
                "HOTPAPERS_BLUESKY_APP_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'default.db'}")
    # No test may reach the real services: unless a test points a client at its fake, the
    # outside services are a closed local port (connection refused at once).
    for var in ("ARXIV_API_URL", "ARXIV_RSS_URL", "ARXIV_OAI_URL", "HN_URL", "HF_URL",
                "BLUESKY_URL", "X_URL"):
        monkeypatch.setenv(f"HOTPAPERS_{var}", "http://127.0.0.1:9/")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    monkeypatch.setenv("DISCORD_API_URL", "http://127.0.0.1:9/api/v10")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
