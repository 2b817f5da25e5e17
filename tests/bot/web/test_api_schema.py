"""schemathesis against the live JSON API and its OpenAPI document: generated requests
(valid and invalid dates, categories, ids) never get a 5xx, and every answer's status,
content type, headers and body match the document."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.cli.serve_cmds import build_web_app
from bot.core import Core
from bot.settings import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]


@pytest.fixture(scope="session")
def live_api(archive_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a real port, served from its own thread and event loop (schemathesis
    calls it synchronously)."""
    copy = tmp_path_factory.mktemp("schema") / "api.db"
    copy.write_bytes(archive_db.read_bytes())
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, object] = {}

    async def start() -> None:
        core = await Core.open(Settings(database_url=f"sqlite+aiosqlite:///{copy}"),
                               load_sample=False)
        app, _ = await build_web_app(core, core.settings)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        state.update(core=core, runner=runner, url=f"http://127.0.0.1:{port}")

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(30)
    yield str(state["url"])

    async def stop() -> None:
        await state["runner"].cleanup()  # type: ignore[attr-defined]
        await state["core"].close()  # type: ignore[attr-defined]

    asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture(scope="session")
def api_schema(live_api: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(live_api + "/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_api_matches_its_openapi_document(case: schemathesis.Case, live_api: str) -> None:
    case.call_and_validate(base_url=live_api, checks=CHECKS)


def test_known_days_answer_with_the_documented_shape(api_schema: schemathesis.BaseSchema,
                                                     live_api: str) -> None:
    """Generated dates mostly miss the archive: the stored days themselves, explicitly."""
    operation = api_schema["/api/v1/digests/{date}"]["GET"]
    for date in ("2021-08-06", "2020-06-29"):
        case = operation.Case(path_parameters={"date": date})
        response = case.call_and_validate(base_url=live_api, checks=CHECKS)
        assert response.status_code == 200 and response.json()["date"] == date
    paper = api_schema["/api/v1/papers/{arxiv_id}"]["GET"].Case(
        path_parameters={"arxiv_id": "2108.02774"})
    assert paper.call_and_validate(base_url=live_api, checks=CHECKS).status_code == 200
    listed = api_schema["/api/v1/digests"]["GET"].Case(
        query={"from": "2021-08-01", "to": "2021-08-06", "category": ["cs.CV", "stat.ML"]})
    assert len(listed.call_and_validate(base_url=live_api, checks=CHECKS).json()["digests"]) == 5
