"""Posting one digest to Discord against the local fake at Discord's per-route rate
(5 messages / 5 s per channel, scaled by --scale): the time taken as a ratio of the
least time the rate limit allows, and how many 429s it cost (discord.py reads the
X-RateLimit headers and should wait instead of being refused).

    .venv/bin/python -m bench.discord_post --papers 11 --scale 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time

from adapters.discord.post import open_chat_adapter
from bot.settings import Settings
from tests.fakes.discord_api import TEXT_CHANNEL_ID, TOKEN, running_fake_discord, sample_digest


async def main(papers: int, scale: float) -> None:
    window, limit = 5.0 * scale, 5
    async with running_fake_discord(route_limit=limit, route_window=window) as fake:
        adapter = await open_chat_adapter(Settings(discord_token=TOKEN,
                                                   discord_api_url=fake.base_url))
        digest = sample_digest(papers)
        start = time.perf_counter()
        parent = await adapter.send_parent(str(TEXT_CHANNEL_ID), digest, key="b-p0")
        for p in digest.papers:
            await adapter.send_paper(str(TEXT_CHANNEL_ID), parent, digest, p, key=f"b-p{p.rank}")
        took = time.perf_counter() - start
        await adapter.close()
        refused = len(fake.sent("POST", r"/messages$", status=429))
        delivered = len(fake.thread_messages(parent.thread_id or "0"))
    # The thread's papers share one bucket: the least time is the full windows they need.
    bound = math.ceil(papers / limit - 1) * window if papers > limit else 0.0
    print(f"papers={papers} delivered={delivered} took={took:.2f}s "
          f"rate-limit bound={bound:.2f}s ratio={took / bound if bound else float('nan'):.2f} "
          f"429s={refused}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--papers", type=int, default=11)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    asyncio.run(main(args.papers, args.scale))
