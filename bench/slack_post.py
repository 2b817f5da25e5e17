"""Posting one digest to Slack against the local fake at Slack's pace (1 message/s per
channel, scaled by --scale), paced by the adapter versus unpaced (relying on 429 +
Retry-After alone): each run's time as a ratio of the least time the rate allows, and
the 429s it cost. Pacing should be close to 1.0 with no 429s.

    .venv/bin/python -m bench.slack_post --papers 11 --scale 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import time

from adapters.slack.client import make_client
from adapters.slack.post import SlackChatAdapter
from bot.settings import Settings
from tests.adapters.slack.helpers import sample_digest
from tests.fakes.slack_api import BOT_TOKEN, fake_slack


async def run(papers: int, rate: float, paced: bool) -> tuple[float, int, int]:
    async with fake_slack(rate_per_channel=rate) as slack:
        client = make_client(Settings(slack_api_url=slack.url), BOT_TOKEN, max_retries=50)
        adapter = SlackChatAdapter(client, per_channel_rate=rate if paced else 1e6)
        digest = sample_digest(papers)
        start = time.perf_counter()
        parent = await adapter.send_parent("C1", digest, key="bench:0")
        for p in digest.papers:
            await adapter.send_paper("C1", parent, digest, p, key=f"bench:{p.rank}")
        took = time.perf_counter() - start
        return took, slack.count("chat.postMessage", 429), len(slack.thread("C1"))


async def main(papers: int, scale: float) -> None:
    rate = 1.0 / scale
    bound = papers / rate  # parent + papers: `papers` gaps of 1/rate
    for paced in (True, False):
        took, refused, delivered = await run(papers, rate, paced)
        print(f"{'paced  ' if paced else 'unpaced'} papers={papers} delivered={delivered} "
              f"took={took:.2f}s bound={bound:.2f}s ratio={took / bound:.2f} 429s={refused}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=11)
    parser.add_argument("--scale", type=float, default=0.2, help="1.0 = Slack's real pace")
    args = parser.parse_args()
    asyncio.run(main(args.papers, args.scale))
