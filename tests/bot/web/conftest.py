"""The web archive's fixtures: the real 279-post archive imported once per session into a
SQLite file, a fresh copy per test, and the app served on a real local port."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.archive.importer import import_paths
from bot.cli.serve_cmds import build_web_app
from bot.core import Core
from bot.settings import Settings
from bot.store import Store


@pytest.fixture(scope="session")
def archive_db(tmp_path_factory: pytest.TempPathFactory, archive_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("archive") / "archive.db"

    async def load() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        try:
            report = await import_paths(store, [archive_dir])
            assert report.errors == [] and len(report.imported) == 279
        finally:
            await store.close()

    asyncio.run(load())
    return path


@pytest.fixture
def archive_url(archive_db: Path, tmp_path: Path) -> str:
    copy = tmp_path / "web.db"
    shutil.copyfile(archive_db, copy)
    return f"sqlite+aiosqlite:///{copy}"


@dataclass
class Web:
    core: Core
    url: str
    http: aiohttp.ClientSession
    app: Any

    async def get(self, path: str, **kw: Any) -> aiohttp.ClientResponse:
        return await self.http.get(self.url + path, allow_redirects=False, **kw)

    async def text(self, path: str, status: int = 200) -> str:
        resp = await self.get(path)
        body = await resp.text()
        assert resp.status == status, (path, resp.status, body[:500])
        return body


async def serve(settings: Settings) -> AsyncIterator[Web]:
    core = await Core.open(settings, load_sample=False)
    web_app, _ = await build_web_app(core, settings)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Web(core, str(server.make_url("")).rstrip("/"), http, web_app)
    finally:
        await server.close()
        await core.close()


@pytest.fixture
async def web(archive_url: str) -> AsyncIterator[Web]:
    async for w in serve(Settings(database_url=archive_url,
                                  public_url="https://hot.example.org")):
        yield w
