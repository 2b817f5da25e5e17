"""Issue 12, the bundled sample is read-only demo data: on a fresh store `hotpapers
digest 2021-08-06` shows it, labelled, and it is never written into the store; `run`,
`serve` (/healthz), `export`, `post` and `/hot latest` say there is no digest yet and
what to do."""

from __future__ import annotations

import asyncio
import json
import os

from aiohttp.test_utils import TestClient, TestServer
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.serve_cmds import build_web_app
from bot.core import Core
from bot.models import Command
from bot.settings import Settings
from bot.store import Store
from tests.paths import SAMPLE_POST

runner = CliRunner()
LABEL = "The bundled sample (demo data shipped with hotpapers, not in your store)"


def stored_dates() -> list[str]:
    async def go() -> list[str]:
        store = await Store.open(os.environ["HOTPAPERS_DATABASE_URL"])
        try:
            return [d.isoformat() for d in await store.digest_dates()]
        finally:
            await store.close()

    return asyncio.run(go())


def test_digest_shows_the_bundled_sample_labelled_and_never_stores_it() -> None:
    for args in (["2021-08-06"], [], ["latest", "--no-build"]):
        r = runner.invoke(app, ["digest", *args])
        assert r.exit_code == 0, r.output
        assert LABEL in r.stdout and "hotpapers build or hotpapers import PATH" in r.stdout
        assert "Hot Papers 2021-08-06 — 11 papers" in r.stdout
    assert stored_dates() == []


def test_the_sample_as_markdown_is_the_post_and_its_label_goes_to_stderr() -> None:
    r = runner.invoke(app, ["digest", "2021-08-06", "-f", "markdown"])
    assert r.exit_code == 0
    assert r.stdout == SAMPLE_POST.read_text(encoding="utf-8")
    assert LABEL in r.stderr


def test_a_stored_day_is_shown_instead_of_the_sample_and_unlabelled() -> None:
    assert runner.invoke(app, ["import", str(SAMPLE_POST)]).exit_code == 0
    r = runner.invoke(app, ["digest", "2021-08-06"])
    assert r.exit_code == 0 and LABEL not in r.output
    assert stored_dates() == ["2021-08-06"]


def test_run_once_on_an_empty_store_says_there_is_no_digest_yet(monkeypatch: object) -> None:
    os.environ["HOTPAPERS_ARXIV_MIN_INTERVAL"] = "0.01"  # arXiv is a closed port here
    try:
        r = runner.invoke(app, ["run", "--once", "--quiet"])
    finally:
        del os.environ["HOTPAPERS_ARXIV_MIN_INTERVAL"]
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == (
        "no digest stored yet: the daily post builds the first one; build one now with "
        "hotpapers build, or import the blog archive with hotpapers import PATH")
    assert stored_dates() == []


async def test_healthz_and_hot_latest_on_an_empty_store() -> None:
    core = await Core.open(Settings())
    try:
        web_app, paths = await build_web_app(core, core.settings)
        assert "/healthz" in paths
        async with TestClient(TestServer(web_app)) as client:
            resp = await client.get("/healthz")
            assert resp.status == 200
            body = await resp.json()
            home = await client.get("/")
            page = await home.text()
        assert home.status == 404 and "No digest stored yet" in page
        assert "hotpapers build" in page and "hotpapers import PATH" in page
        assert body["ok"] is True and body["latest"] is None
        assert "no digest stored yet" in body["note"] and "hotpapers build" in body["note"]
        answer = await core.answer(Command("hot", (), platform="slack", channel="C1",
                                           can_manage_channel=False))
        assert answer.is_error and answer.digest is None
        assert answer.text.startswith("No digest stored yet")
        assert "hotpapers build" in answer.text and "hotpapers import PATH" in answer.text
        answer = await core.answer(Command("hot", ("2021-08-06",), platform="slack",
                                           channel="C1", can_manage_channel=False))
        assert answer.is_error and "no digest is stored yet" in answer.text
        assert await core.store.digest_dates() == []
    finally:
        await core.close()


def test_export_says_what_to_do_on_an_empty_store() -> None:
    r = runner.invoke(app, ["export", "-f", "json"])
    assert r.exit_code == 2
    assert r.stderr.strip() == ("error: no digest stored yet; build one with hotpapers build "
                                "--date YYYY-MM-DD, or import the blog archive with hotpapers "
                                "import PATH")
    assert json.dumps(stored_dates()) == "[]"
