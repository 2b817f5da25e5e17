"""`hotpapers run` with `HOTPAPERS_METRICS_PORT`: the real worker process serves its own
`/metrics` (Prometheus text, parsed with prometheus_client's parser) and `/healthz` on
that port, reading the fleet from the shared database, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.store import Store
from bot.store.fleet import WorkerRow

pytestmark = pytest.mark.slow  # a real worker process (about 5 s on a busy machine)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_worker_serves_metrics_and_healthz_on_its_port(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    store = await Store.open(db)
    now = dt.datetime.now(dt.UTC)
    await store.register_worker(WorkerRow("other-host:7:abcdef", "other-host", 7,
                                          ("gateway",), now, now))
    await store.close()
    port = free_port()
    env = dict(os.environ, HOTPAPERS_DATABASE_URL=db, HOTPAPERS_METRICS_PORT=str(port),
               HOTPAPERS_HTTP_HOST="127.0.0.1", HOTPAPERS_POST_TIME="23:59")
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path, stdout=out,
            stderr=asyncio.subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    async with http.get(base + "/healthz") as resp:
                        health = json.loads(await resp.text())
                        break
                except aiohttp.ClientError:
                    assert proc.returncode is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    await asyncio.sleep(0.1)
            async with http.get(base + "/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain")
                text = await resp.text()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 20)
    assert health["ok"] is True and health["queue"]["backend"] == "in-process"
    assert [w["id"] for w in health["workers"]] == ["other-host:7:abcdef"]
    values = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples
              if not s.labels}
    assert values["hotpapers_fleet_up"] == 1 and values["hotpapers_fleet_live_workers"] == 1
    assert values["process_resident_memory_bytes"] > 0
    assert code == 0, log.read_text()
    assert "serving /metrics and /healthz on http://127.0.0.1:" in log.read_text()
