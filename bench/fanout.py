"""Fan-out benchmark: a 30-paper digest to 1,000 channels (half Slack, half Discord)
through the real adapters and `bot.publish.publish` (ledger on SQLite), against fake
Slack and Discord servers (in another process) that enforce the documented limits:

- Slack: ~1 message/s per channel (HTTP 429 + Retry-After when faster);
- Discord: 5 messages per 5 s per channel route, 50 requests/s globally; it does not
  de-duplicate nonces (only the ledger keeps delivery exactly once).

All limits are multiplied by one common factor `--scale` (printed) to keep the run
short; the lower bound is computed with the same factor:
- Slack channel: 31 messages at `scale`/s -> 30/scale s;
- Discord: each channel needs parent + thread + 30 papers = 32 requests; globally
  500 x 32 / (50 x scale) s (the per-route bound, 25/scale s, is smaller).
The bound is the larger of the two (the platforms run concurrently).

Last line: `ratio=<wall/bound> http429=<n> duplicates=<n> lost=<n>`.

    .venv/bin/python bench/fanout.py [--channels 1000] [--papers 30] [--scale 4]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import math
import multiprocessing as mp
import re
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/fanout.py` from anywhere finds tests.fakes

DATE = dt.date(2021, 8, 6)
DISCORD_FIRST_CHANNEL = 500_000_000_000_000_000


# --- the fake platforms (child process) ---------------------------------------------------
def serve_fakes(conn: Connection, scale: float, discord_channels: int) -> None:
    asyncio.run(_serve_fakes(conn, scale, discord_channels))


async def _serve_fakes(conn: Connection, scale: float, discord_channels: int) -> None:
    from aiohttp import web

    from tests.fakes.discord_api import FakeDiscord
    from tests.fakes.slack_api import FakeSlack

    slack = FakeSlack(rate_per_channel=1.0 * scale)
    discord = FakeDiscord(route_limit=5, route_window=5.0 / scale, honour_nonce=False,
                          global_limit=round(50 * scale))
    for i in range(discord_channels):
        discord.add_channel(DISCORD_FIRST_CHANNEL + i, f"papers-{i}", 0)
    runners, ports = [], []
    for app in (slack.app(), discord.app()):
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    conn.send(ports)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, conn.recv)  # "report"
    slack_keys = {ch: [m["metadata"]["event_payload"]["key"] for m in msgs]
                  for ch, msgs in slack.messages.items()}
    discord_keys: dict[str, list[str]] = {}
    for i in range(discord_channels):  # the nonces the server saw (no message shows a key)
        cid = DISCORD_FIRST_CHANNEL + i
        keys: list[str] = []
        for parent in discord.messages.get(cid, []):
            keys.append(str(discord.sent_nonce(parent)))
            keys += [str(discord.sent_nonce(m)) for m in discord.messages.get(int(parent["id"]),
                                                                              [])]
        discord_keys[str(cid)] = keys
    conn.send({
        "slack": slack_keys, "discord": discord_keys,
        "slack429": slack.count("chat.postMessage", 429),
        "discord429": sum(1 for c in discord.calls if c.status == 429),
        "discord_requests": len(discord.calls),
        "discord429_by_path": dict(collections.Counter(
            re.sub(r"\d+", "N", c.method + " " + c.path) for c in discord.calls
            if c.status == 429)),
    })
    for runner in runners:
        await runner.cleanup()


# --- the publisher (this process) ----------------------------------------------------------
async def publish_all(args: argparse.Namespace, ports: list[int]) -> tuple[float, Any]:
    import aiohttp

    from adapters.discord.post import open_chat_adapter as open_discord
    from adapters.slack.client import make_client
    from adapters.slack.post import SlackChatAdapter
    from bot.models import Subscription
    from bot.publish import publish
    from bot.settings import Settings
    from bot.store import Store
    from tests.fakes.digests import make_digest
    from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
    from tests.fakes.slack_api import BOT_TOKEN

    half = args.slack_channels
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        settings = Settings(database_url=url, slack_api_url=f"http://127.0.0.1:{ports[0]}/api/",
                            discord_api_url=f"http://127.0.0.1:{ports[1]}/api/v10",
                            discord_token=DISCORD_TOKEN,  # type: ignore[arg-type]
                            discord_global_rate=Settings().discord_global_rate * args.scale)
        store = await Store.open(url)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        slack = SlackChatAdapter(make_client(settings, BOT_TOKEN, session=session),
                            per_channel_rate=1.0 * args.scale, owns_session=session)
        discord = await open_discord(settings)
        digest = make_digest(DATE, args.papers)
        subs = [Subscription("slack", f"C{i:06d}") for i in range(half)]
        subs += [Subscription("discord", str(DISCORD_FIRST_CHANNEL + i))
                 for i in range(args.channels - half)]
        start = time.perf_counter()
        adapters: dict[str, Any] = {"slack": slack, "discord": discord}
        limits = {"slack": args.concurrency, "discord": args.discord_concurrency}
        report = await publish(store, adapters, digest, subs, concurrency=limits, backoff=0.2)
        if not report.complete:  # what the scheduler's retry does (here at once)
            print(f"first pass: {report.summary()}; retrying the unfinished channels")
            failed = {c.target for c in report.channels if c.status == "failed"}
            report = await publish(store, adapters, digest,
                                   [s for s in subs if s.target in failed],
                                   concurrency=limits, backoff=0.2)
        wall = time.perf_counter() - start
        await slack.close()
        await discord.close()
        await store.close()
    return wall, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--papers", type=int, default=30)
    parser.add_argument("--scale", type=float, default=4.0,
                        help="multiply every platform limit by this factor")
    parser.add_argument("--concurrency", type=int, default=128,
                        help="Slack channels in flight")
    parser.add_argument("--discord-concurrency", type=int, default=128,
                        help="Discord channels in flight")
    parser.add_argument("--only", choices=("slack", "discord"), default=None,
                        help="all channels on one platform")
    args = parser.parse_args()
    half = {"slack": args.channels, "discord": 0}.get(args.only or "", args.channels // 2)
    args.slack_channels = half
    n_discord = args.channels - half

    parent, child = mp.Pipe()
    fakes = mp.Process(target=serve_fakes, args=(child, args.scale, n_discord), daemon=True)
    fakes.start()
    ports = parent.recv()
    wall, report = asyncio.run(publish_all(args, ports))
    parent.send("report")
    seen = parent.recv()
    fakes.join(30)

    from bot.plans import delivery_key
    from tests.fakes.digests import make_digest

    parts = ["parent", *(p.paper.arxiv_id for p in make_digest(DATE, args.papers).papers)]
    duplicates = lost = disorder = 0
    for platform, channels in (("slack", [f"C{i:06d}" for i in range(half)]),
                               ("discord", [str(DISCORD_FIRST_CHANNEL + i)
                                            for i in range(n_discord)])):
        for ch in channels:
            got = seen[platform].get(ch, [])
            want = [delivery_key(DATE.isoformat(), platform, ch, "1", p) for p in parts]
            duplicates += len(got) - len(set(got))
            lost += len(set(want) - set(got))
            disorder += [k for k in dict.fromkeys(got) if k in want] != want and \
                set(want) <= set(got)

    per_channel = args.papers + 1
    slack_bound = (per_channel - 1) / args.scale if half else 0.0
    discord_requests = n_discord * (per_channel + 1)
    discord_bound = max(discord_requests / (50 * args.scale),
                        (math.ceil(args.papers / 5) - 1) * 5 / args.scale) if n_discord else 0.0
    bound = max(slack_bound, discord_bound)
    http429 = seen["slack429"] + seen["discord429"]
    print(f"channels={args.channels} (slack {half}, discord {n_discord}) papers={args.papers} "
          f"messages={args.channels * per_channel}")
    print(f"scale factor={args.scale:g}: Slack {args.scale:g} msg/s per channel; Discord "
          f"5 msgs per {5 / args.scale:.3f} s per route, {50 * args.scale:g} req/s global")
    print(f"report: {report.summary()}")
    print(f"bound: slack {slack_bound:.2f}s, discord {discord_bound:.2f}s "
          f"({discord_requests} required requests; {seen['discord_requests']} made)")
    print(f"wall={wall:.2f}s bound={bound:.2f}s 429s: slack {seen['slack429']}, "
          f"discord {seen['discord429']}; out of order channels={disorder}")
    if seen["discord429_by_path"]:
        print(f"discord 429s by route: {seen['discord429_by_path']}")
    print(f"ratio={wall / bound:.3f} http429={http429} duplicates={duplicates} lost={lost}")


if __name__ == "__main__":
    main()
