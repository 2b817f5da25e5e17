"""Benchmark: the four social sources against the local fakes for one busy day.

2,500 papers and 20,000 posts (X 10,000, Bluesky 5,000, HN 1,000, HF one page entry per
paper), 50 ms latency per request and each service's documented rate limit. The sources
run concurrently, as the build runs them; each pages sequentially (every page needs the
previous cursor), so the lower bound is the longest chain: max over sources of
max(fewest requests x latency, time the rate limit imposes). Prints per source the
requests sent and the fewest pagination allows; the last line is
`ratio=<wall/bound> requests=<n> min_requests=<m> per_paper_requests=<p>`.

    .venv/bin/python -m bench.signals [--papers 2500] [--mentions 20000] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.settings import Settings
from bot.signals.registry import make_sources
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import (
    DOCUMENTED_LIMITS,
    SocialServers,
    collect,
    paper_ids_for,
)


async def run(papers: int, mentions: int, latency: float) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = dt.datetime.combine(now.date() - dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    ids = paper_ids_for(start.date(), papers)
    data = Corpus.generate(ids, mentions, start, end, shares={"x": 0.5, "bluesky": 0.25,
                                                              "hn": 0.05, "hf": 0.2})
    async with SocialServers(data, latency=latency, limits=dict(DOCUMENTED_LIMITS),
                             now=now).running() as fake, aiohttp.ClientSession() as session:
        settings = Settings(
            hn_url=fake.url("hn"), hf_url=fake.url("hf"), bluesky_url=fake.url("bluesky"),
            x_url=fake.url("x"), bluesky_handle=fake.bluesky_handle,
            bluesky_app_password=fake.bluesky_password, x_bearer_token=fake.x_token,
        )
        sources, _ = make_sources(settings, session, clock=lambda: now)
        began = time.monotonic()
        results = await asyncio.gather(*(collect(s, start, end) for s in sources))
        wall = time.monotonic() - began
        bound, total_min = 0.0, 0
        print(f"{'source':8} {'mentions':>8} {'requests':>8} {'min':>5}")
        for source, got in zip(sources, results, strict=True):
            sent, least = len(fake.requests(source.name)), fake.min_requests(
                source.name, start, end)
            capacity, seconds = DOCUMENTED_LIMITS[source.name]
            rate_time = max(0.0, (least - capacity) * seconds / capacity)
            bound = max(bound, least * latency, rate_time)
            total_min += least
            assert len(got) == len(data.expected(source.name, start, end)), source.name
            print(f"{source.name:8} {len(got):8} {sent:8} {least:5}")
    # The blog's way: one search per paper per source that can search by paper.
    per_paper = papers * len(sources)
    print(f"wall={wall:.2f}s bound={bound:.2f}s ({len(data)} posts, {papers} papers, "
          f"{latency * 1000:.0f} ms latency)")
    print(f"ratio={wall / bound:.3f} requests={len(fake.log)} min_requests={total_min} "
          f"per_paper_requests={per_paper}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=2500)
    parser.add_argument("--mentions", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    asyncio.run(run(args.papers, args.mentions, args.latency))


if __name__ == "__main__":
    main()
