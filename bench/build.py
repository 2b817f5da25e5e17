"""Benchmark: a full digest build against local fake servers.

A past announcement day of 2,500 listed papers (cs + stat.ML, new + cross-lists, plus
replacements and other archives the listing must leave out) and 20,000 social posts
over X, Bluesky, Hacker News and Hugging Face. Every fake answers after `--latency`
(50 ms) and enforces its service's documented rate limit with 429 + Retry-After; the
fake arXiv answers 429 to any request sooner than its interval after the previous one.

The lower bound: every source pages sequentially (each page needs the previous
cursor), so a source needs at least (its fewest requests) x latency, or longer when its
rate limit binds; arXiv needs (requests - 1) x interval + latency. The build runs the
sources and arXiv concurrently, so the bound is the slowest of these chains. arXiv's
3 s interval is scaled by `--scale` (printed; the bound uses the same factor).

Run: .venv/bin/python bench/build.py   (last line: ratio=... requests=... ...)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import multiprocessing
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from tests.paths import ROOT

sys.path.insert(0, str(ROOT))

from bot.arxiv.client import MAX_PAGE
from bot.digest import build_digest, mention_window
from bot.settings import Settings
from bot.signals.registry import make_sources
from bot.store import Store
from tests.fakes.arxiv_server import ArxivFake, make_day
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import DOCUMENTED_LIMITS, SocialServers

DAY = dt.date(2021, 8, 4)  # a Wednesday
ARXIV_INTERVAL = 3.0
SHARES = {"x": 0.55, "bluesky": 0.25, "hn": 0.05, "hf": 0.15}


def chain_bound(requests: int, latency: float, limit: tuple[float, float]) -> float:
    """Sequential requests: each takes `latency`; past the bucket's burst the rate binds."""
    capacity, seconds = limit
    over = max(0, requests - capacity)
    return max(requests * latency, over * seconds / capacity + latency)


def serve(conn: Connection, args: argparse.Namespace) -> None:
    """The fake services, in their own process (as real services are): their CPU time
    must not slow the build under test. Sends the URLs, then the request logs."""

    async def go() -> None:
        interval = ARXIV_INTERVAL * args.scale
        window = mention_window(DAY)
        now = window.end + dt.timedelta(hours=1)
        papers = make_day(DAY, args.papers, seed=7, replacements=300, outside=400)
        listed = [p for p in papers if p.announce_type in ("new", "cross")
                  and any(c.startswith("cs.") or c == "stat.ML" for c in p.paper.categories)]
        # X 55 %, Bluesky 25 %, HN 5 %, HF 15 % (HF lists a paper at most once a day)
        corpus = Corpus.generate([p.paper.arxiv_id for p in papers], args.mentions,
                                 window.start, window.end, seed=7, shares=SHARES)
        arxiv = ArxivFake(papers=papers, latency=args.latency, min_interval=interval)
        await arxiv.start()
        social = SocialServers(corpus, latency=args.latency, now=now,
                               limits=dict(DOCUMENTED_LIMITS))
        async with social.running():
            conn.send({"arxiv": arxiv.url, "social": {s: social.url(s) for s in SHARES},
                       "handle": social.bluesky_handle, "password": social.bluesky_password,
                       "x_token": social.x_token, "now": now.isoformat(),
                       "listed": len(listed), "papers": len(papers), "posts": len(corpus)})
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
        await arxiv.close()
        conn.send({
            "arxiv": [r.status for r in arxiv.log],
            "social": {s: [e.status for e in social.requests(s)] for s in SHARES},
            "min": {s: social.min_requests(s, window.start, window.end) for s in SHARES},
        })

    asyncio.run(go())


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=2500)
    ap.add_argument("--mentions", type=int, default=20000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="factor applied to arXiv's 3 s interval (and to the bound)")
    args = ap.parse_args()
    interval = ARXIV_INTERVAL * args.scale

    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(theirs, args), daemon=True)
    server.start()
    info = await asyncio.get_running_loop().run_in_executor(None, ours.recv)
    now = dt.datetime.fromisoformat(info["now"])
    with tempfile.TemporaryDirectory() as tmp:
        urls = info["social"]
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
            arxiv_api_url=info["arxiv"] + "/api/query", arxiv_rss_url=info["arxiv"] + "/rss/",
            arxiv_oai_url=info["arxiv"] + "/oai",
            arxiv_min_interval=interval, hn_url=urls["hn"], hf_url=urls["hf"],
            bluesky_url=urls["bluesky"], x_url=urls["x"], bluesky_handle=info["handle"],
            bluesky_app_password=SecretStr(info["password"]),
            x_bearer_token=SecretStr(info["x_token"]),
        )
        store = await Store.open(settings.database_url)
        async with aiohttp.ClientSession() as session:
            sources, _ = make_sources(settings, session, clock=lambda: now)
            t0 = time.perf_counter()
            result = await build_digest(DAY, settings=settings, session=session,
                                        store=store, sources=sources, now=now)
            wall = time.perf_counter() - t0
        await store.close()
    ours.send("stop")
    logs = await asyncio.get_running_loop().run_in_executor(None, ours.recv)
    server.join(10)

    digest = result.digest
    listed = info["listed"]
    arxiv_min = math.ceil(listed / MAX_PAGE)
    chains = {"arxiv": (arxiv_min - 1) * interval + args.latency}
    social_min = logs["min"]
    for s, m in social_min.items():
        chains[s] = chain_bound(m, args.latency, DOCUMENTED_LIMITS[s])
    bound = max(chains.values())
    social_log = logs["social"]
    requests = len(logs["arxiv"]) + sum(len(v) for v in social_log.values())
    min_requests = arxiv_min + sum(social_min.values())
    per_paper = listed * len(social_min) + arxiv_min
    throttled = logs["arxiv"].count(429) + sum(v.count(429) for v in social_log.values())

    print(f"day {DAY}: {listed} papers listed ({info['papers']} in the fake arXiv), "
          f"{info['posts']} posts; {len(digest.papers)} hot papers, failed: "
          f"{', '.join(digest.failed_sources) or 'none'}")
    print(f"latency {args.latency * 1000:.0f} ms per request; arXiv interval "
          f"{ARXIV_INTERVAL:g} s x scale {args.scale:g} = {interval:g} s; documented limits "
          + ", ".join(f"{k} {a:g}/{b:g}s" for k, (a, b) in DOCUMENTED_LIMITS.items()))
    print(f"requests by service: arxiv {len(logs['arxiv'])} (min {arxiv_min}), "
          + ", ".join(f"{s} {len(social_log[s])} (min {m})" for s, m in social_min.items())
          + f"; answered 429: {throttled}")
    print("lower bound per chain: " + ", ".join(f"{k} {v:.2f} s" for k, v in chains.items()))
    print(f"wall {wall:.2f} s, lower bound {bound:.2f} s, ratio {wall / bound:.2f}")
    print(f"requests {requests}, fewest pagination allows {min_requests} "
          f"({requests / min_requests:.2f}x), one request per paper and source "
          f"{per_paper} ({listed} papers x {len(social_min)} sources + {arxiv_min})")
    print(f"ratio={wall / bound:.2f} requests={requests} min_requests={min_requests} "
          f"per_paper_requests={per_paper}")


if __name__ == "__main__":
    asyncio.run(main())
