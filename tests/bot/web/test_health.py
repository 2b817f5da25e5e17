"""Seeing the fleet: two workers registered through `bot.fleet.Fleet` and a job queue's
view (a `QueueView` with queued, running and failed jobs) shown by `/healthz` (JSON),
`/metrics` (Prometheus text, parsed with prometheus_client's parser) and `hotpapers
status` (table and JSON); without a queue view the report says jobs run in-process."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.serve_cmds import build_web_app
from bot.cli.status_cmds import Format, show_status
from bot.core import Core
from bot.fleet import Fleet, JobInfo, QueueStats
from bot.metrics import count_message
from bot.settings import Settings
from bot.store import Store
from bot.store.fleet import WorkerRow

WAITED = 90.0  # seconds the oldest pending job has waited
ERROR = "ArxivUnavailable: the arXiv API is not answering (HTTP 503 after 5 attempts)"


class ListedQueue:
    """A job backend's view of its queue, holding fixed jobs (the backends are another
    branch's; status and /healthz only read this protocol)."""

    def __init__(self, *, broken: bool = False) -> None:
        self.broken = broken
        self.oldest = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=WAITED)
        self.failed = JobInfo(id="17", task="build_day", status="failed",
                              args={"date": "2021-08-06"}, attempts=5, queued_at=self.oldest,
                              error=ERROR)
        self.asked: list[str | None] = []

    async def stats(self) -> QueueStats:
        if self.broken:
            raise ConnectionRefusedError("connection refused by 127.0.0.1:5432")
        return QueueStats(queued=3, running=1, failed=1, oldest_pending=self.oldest,
                          backend="procrastinate")

    async def jobs(self, status: str | None = None, limit: int = 50) -> list[JobInfo]:
        self.asked.append(status)
        return [self.failed] if status in (None, "failed") else []

    async def retry(self, job_id: str) -> JobInfo:
        raise NotImplementedError


@pytest.fixture
async def core(sqlite_url: str) -> AsyncIterator[Core]:
    core = await Core.open(Settings(database_url=sqlite_url))
    try:
        yield core
    finally:
        await core.close()


@pytest.fixture
async def any_core(any_store_url: str) -> AsyncIterator[Core]:
    core = await Core.open(Settings(database_url=any_store_url))
    try:
        yield core
    finally:
        await core.close()


@contextlib.asynccontextmanager
async def two_registered(core: Core) -> AsyncIterator[tuple[Fleet, Fleet]]:
    """Two workers on `core`'s database, as two `hotpapers run` processes register."""
    one = Fleet(core.store, ("scheduler", "worker"), worker_id="host-a:101:aaaaaa")
    two = Fleet(core.store, ("worker", "gateway"), worker_id="host-b:202:bbbbbb")
    async with one, two:
        yield one, two


@pytest.fixture
async def two_workers(core: Core) -> AsyncIterator[tuple[Fleet, Fleet]]:
    async with two_registered(core) as both:
        yield both


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


async def get(core: Core, queue: Any, path: str) -> tuple[int, str]:
    web_app, paths = await build_web_app(core, core.settings, queue=queue)
    assert "/healthz" in paths and "/metrics" in paths
    async with TestClient(TestServer(web_app)) as client:
        resp = await client.get(path)
        return resp.status, await resp.text()


async def test_healthz_shows_the_live_workers_and_the_queue(any_core: Core) -> None:
    queue = ListedQueue()
    async with two_registered(any_core):
        status, text = await get(any_core, queue, "/healthz")
    body = json.loads(text)
    assert status == 200 and body["ok"] is True
    assert body["latest"] is None and "hotpapers build" in body["note"]  # as before
    workers = {w["id"]: w for w in body["workers"]}
    assert set(workers) == {"host-a:101:aaaaaa", "host-b:202:bbbbbb"}
    assert workers["host-b:202:bbbbbb"]["roles"] == ["worker", "gateway"]
    assert workers["host-a:101:aaaaaa"]["host"] == "host-a"
    assert body["workers_by_role"] == {"scheduler": 1, "worker": 2, "gateway": 1}
    q = body["queue"]
    assert (q["backend"], q["queued"], q["running"], q["failed"]) == ("procrastinate", 3, 1, 1)
    assert WAITED <= q["oldest_pending_seconds"] <= WAITED + 60
    assert dt.datetime.fromisoformat(q["oldest_pending"]) == queue.oldest.replace(microsecond=0)
    (failed,) = body["failed_jobs"]
    assert (failed["id"], failed["task"], failed["error"]) == ("17", "build_day", ERROR)
    assert queue.asked == ["failed"]


async def test_healthz_without_a_queue_says_jobs_run_in_process(core: Core) -> None:
    status, text = await get(core, None, "/healthz")
    body = json.loads(text)
    assert status == 200 and body["workers"] == [] and body["failed_jobs"] == []
    assert body["queue"]["backend"] == "in-process" and body["queue"]["queued"] is None
    assert "inside each hotpapers run process" in body["queue"]["note"]


async def test_a_queue_that_cannot_be_read_is_one_line_not_a_failure(
        core: Core, two_workers: tuple[Fleet, Fleet]) -> None:
    status, text = await get(core, ListedQueue(broken=True), "/healthz")
    body = json.loads(text)
    assert status == 200 and len(body["workers"]) == 2
    assert body["queue"]["error"] == "connection refused by 127.0.0.1:5432"


async def test_metrics_of_serve_carry_the_counters_and_the_fleet(
        core: Core, two_workers: tuple[Fleet, Fleet]) -> None:
    count_message("slack", "sent")
    queue = ListedQueue()
    status, text = await get(core, queue, "/metrics")
    assert status == 200
    found = metric_values(text)
    assert found[("hotpapers_messages_total", (("platform", "slack"), ("state", "sent")))] >= 1
    assert found[("hotpapers_fleet_up", ())] == 1
    assert found[("hotpapers_fleet_live_workers", ())] == 2
    assert found[("hotpapers_fleet_live_workers_by_role", (("role", "worker"),))] == 2
    assert found[("hotpapers_fleet_live_workers_by_role", (("role", "gateway"),))] == 1
    jobs = {dict(labels)["status"]: v for (name, labels), v in found.items()
            if name == "hotpapers_queue_jobs"}
    assert jobs == {"queued": 3, "running": 1, "failed": 1}
    assert WAITED <= found[("hotpapers_queue_oldest_pending_seconds", ())] <= WAITED + 60
    assert any(name == "process_resident_memory_bytes" for name, _ in found)


async def test_metrics_speak_openmetrics_when_asked(core: Core) -> None:
    web_app, _ = await build_web_app(core, core.settings)
    async with TestClient(TestServer(web_app)) as client:
        resp = await client.get("/metrics", headers={
            "Accept": "application/openmetrics-text; version=1.0.0; charset=utf-8"})
        text = await resp.text()
        plain = await client.get("/metrics")
    assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
    assert plain.headers["Content-Type"].startswith("text/plain")
    assert text.rstrip().endswith("# EOF")  # one document: the fleet's gauges inside it
    names = {f.name for f in openmetrics_families(text)}
    assert {"hotpapers_messages", "hotpapers_fleet_up", "hotpapers_job_seconds"} <= names


async def test_status_shows_the_workers_the_queue_and_the_failed_job(
        core: Core, two_workers: tuple[Fleet, Fleet], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    queue = ListedQueue()
    await show_status(core, Format.text, queue=queue)
    text = capsys.readouterr().out
    assert "Live workers (2)" in text
    for cell in ("host-a:101:aaaaaa", "host-b:202:bbbbbb", "scheduler,worker", "202"):
        assert cell in text
    assert "job queue (procrastinate): 3 queued, 1 running, 1 failed; oldest pending" in text
    assert f"failed job 17 build_day (attempts 5, queued {queue.oldest:%Y-%m-%d %H:%M:%S}): " \
           f"{ERROR}" in text
    await show_status(core, Format.json, queue=ListedQueue())
    body = json.loads(capsys.readouterr().out)
    assert [w["id"] for w in body["workers"]] == ["host-a:101:aaaaaa", "host-b:202:bbbbbb"]
    assert body["queue"]["queued"] == 3 and body["failed_jobs"][0]["error"] == ERROR
    assert "next_run" in body and "channels" in body  # what status reported before


def test_the_status_command_without_a_queue() -> None:
    async def register() -> None:  # in the test's default database (tests/conftest.py)
        store = await Store.open(Settings().database_url)
        now = dt.datetime.now(dt.UTC)
        await store.register_worker(WorkerRow("host-c:303:cccccc", "host-c", 303,
                                              ("worker",), now, now))
        await store.close()

    asyncio.run(register())
    r = CliRunner().invoke(app, ["status", "--format", "json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert [w["id"] for w in body["workers"]] == ["host-c:303:cccccc"]
    assert body["queue"]["backend"] == "in-process"
    text = CliRunner().invoke(app, ["status"], env={"COLUMNS": "200"}).stdout
    assert "host-c:303:cccccc" in text and "job queue: none; jobs run inside each" in text
