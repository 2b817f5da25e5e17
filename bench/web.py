"""Benchmark: the web archive under load against the same bytes served as static files.

    .venv/bin/python bench/web.py [ARCHIVE_DIR] [--clients 16] [--seconds 10]

Imports the 279-post archive into a fresh SQLite store and starts `hotpapers serve`'s app
in a child process (one server, one core). Day, category, paper, feed and API URLs are
fetched once; their exact response bytes (identity and gzip) are written to a folder the
same server also serves as static files (aiohttp's FileResponse, with the `.gz` twins).
Then N concurrent clients (gzip accepted, as browsers do) hit the dynamic URLs for the
given time, then the static copies for the same time. Prints requests/s and p50/p99 per
kind of page, and last
`dynamic_to_static=<throughput ratio> p99_ms=<n> static_p99_ms=<n>`.
Aim (issue 14): ratio >= 0.7 and p99 <= 2x the static p99.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EXT = {"day": ".html", "category": ".html", "paper": ".html", "feed": ".atom", "api": ".json"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else (values[0] if values else 0.0)


async def serve(db_url: str, static_dir: str, port: int) -> None:
    """The child process: the real web app plus the static copies under /_static."""
    from aiohttp import web

    from bot.cli.serve_cmds import build_web_app
    from bot.core import Core
    from bot.settings import Settings

    core = await Core.open(Settings(database_url=db_url))
    app, _ = await build_web_app(core, core.settings)
    app.router.add_static("/_static", static_dir)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


async def load_archive(archive: Path, db_url: str) -> list[str]:
    from bot.archive.importer import import_paths
    from bot.store import Store

    store = await Store.open(db_url)
    try:
        report = await import_paths(store, [archive])
        if report.errors:
            raise SystemExit(f"import failed: {report.errors[0]}")
        dates = [d.isoformat() for d in await store.digest_dates()]
        digest = await store.get_digest(await store.latest_date())  # type: ignore[arg-type]
        assert digest is not None
        ids = [rp.paper.arxiv_id for rp in digest.papers]
    finally:
        await store.close()
    rng = random.Random(14)
    days = [dates[-1], *rng.sample(dates, 9)]
    return (
        [f"day /{d}" for d in days]
        + [f"category /c/{c}" for c in ("cs.CV", "cs.LG", "stat.ML", "cs", "cs.CL")]
        + [f"paper /p/{i}" for i in ids[:10]]
        + ["feed /feed.atom", "feed /c/cs.CV.atom"]
        + [f"api /api/v1/digests/{d}" for d in days[:5]]
        + [f"api /api/v1/papers/{i}" for i in ids[:5]]
        + [f"api /api/v1/digests?from={dates[-7]}&to={dates[-1]}"]
    )


async def snapshot(http: aiohttp.ClientSession, base: str, targets: list[str], static_dir: Path
                   ) -> list[tuple[str, str, str]]:
    """(kind, dynamic path, static path) with the static files holding the same bytes."""
    out = []
    for i, target in enumerate(targets):
        kind, path = target.split(" ", 1)
        async with http.get(base + path, headers={"Accept-Encoding": "identity"}) as r:
            assert r.status == 200, (path, r.status)
            body = await r.read()
        async with http.get(base + path, headers={"Accept-Encoding": "gzip"}) as r:
            packed = await r.read()
            if r.headers.get("Content-Encoding") == "gzip":
                assert gzip.decompress(packed) == body, path
                (static_dir / f"{i}{EXT[kind]}.gz").write_bytes(packed)
        (static_dir / f"{i}{EXT[kind]}").write_bytes(body)
        out.append((kind, path, f"/_static/{i}{EXT[kind]}"))
    return out


async def hammer(http: aiohttp.ClientSession, base: str, urls: list[tuple[str, str]],
                 clients: int, seconds: float) -> tuple[int, dict[str, list[float]], float]:
    latencies: dict[str, list[float]] = defaultdict(list)
    count = 0
    stop = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal count
        i = n
        while time.perf_counter() < stop:
            kind, path = urls[i % len(urls)]
            i += 1
            start = time.perf_counter()
            async with http.get(base + path, headers={"Accept-Encoding": "gzip"}) as r:
                await r.read()
                assert r.status == 200, (path, r.status)
            latencies[kind].append((time.perf_counter() - start) * 1000)
            count += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return count, latencies, time.perf_counter() - began


def report(name: str, count: int, lat: dict[str, list[float]], elapsed: float) -> tuple[
        float, float]:
    every = [x for v in lat.values() for x in v]
    rate = count / elapsed
    print(f"{name:8} {rate:8.0f} req/s  p50 {percentile(every, 50):6.2f} ms  "
          f"p99 {percentile(every, 99):6.2f} ms")
    for kind in EXT:
        v = lat.get(kind, [])
        if v:
            print(f"  {kind:9} {len(v) / elapsed:7.0f} req/s  p50 {percentile(v, 50):6.2f} ms  "
                  f"p99 {percentile(v, 99):6.2f} ms")
    return rate, percentile(every, 99)


async def main(archive: Path, clients: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite+aiosqlite:///{tmp}/web.db"
        static_dir = Path(tmp) / "static"
        static_dir.mkdir()
        start = time.perf_counter()
        targets = await load_archive(archive, db_url)
        print(f"imported the archive in {time.perf_counter() - start:.1f} s; "
              f"{len(targets)} URLs, {clients} clients, {seconds:.0f} s each")
        port = free_port()
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--serve", db_url, str(static_dir), str(port),
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        base = f"http://127.0.0.1:{port}"
        try:
            connector = aiohttp.TCPConnector(limit=clients)
            async with aiohttp.ClientSession(connector=connector,
                                             auto_decompress=False) as http:
                for _ in range(200):
                    try:
                        async with http.get(base + "/healthz") as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.1)
                else:
                    raise SystemExit("the server did not start")
                pairs = await snapshot(http, base, targets, static_dir)
                dynamic = [(k, d) for k, d, _ in pairs]
                static = [(k, s) for k, _, s in pairs]
                await hammer(http, base, dynamic, clients, 1.0)  # warm both paths
                await hammer(http, base, static, clients, 1.0)
                d_rate, d_p99 = report("dynamic", *await hammer(http, base, dynamic, clients,
                                                                seconds))
                s_rate, s_p99 = report("static", *await hammer(http, base, static, clients,
                                                               seconds))
        finally:
            child.terminate()
            await asyncio.wait_for(child.wait(), 10)
    print(f"dynamic_to_static={d_rate / s_rate:.2f} p99_ms={d_p99:.1f} "
          f"static_p99_ms={s_p99:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        asyncio.run(serve(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", nargs="?", type=Path,
                        default=ROOT.parent / "shared" / "data" / "hot-papers-archive")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if not args.archive.is_dir():
        raise SystemExit(f"no archive at {args.archive}; pass its folder")
    asyncio.run(main(args.archive, args.clients, args.seconds))
