"""What the fakes of bench/scale.py hold, checked channel by channel: each must have
exactly one parent and its replies, each message once, in planned order, the replies in
the parent's thread (Slack: `thread_ts` of the parent; Discord: the thread started from
the parent). Keys: Slack's from message metadata, Discord's the nonces the server saw."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from typing import Any

from bench.scale_fakes import discord_channel, slack_channel


@dataclass
class Tally:
    duplicates: int = 0  # copies beyond the first, and messages no plan has
    lost: int = 0  # planned messages not there
    disordered: int = 0  # channels complete, but out of order or outside the thread
    complete: int = 0  # channels exactly as planned


def tally(args: argparse.Namespace, reports: dict[str, dict[str, Any]], date: dt.date) -> Tally:
    from bot.plans import delivery_key
    from tests.fakes.digests import make_digest

    day = date.isoformat()
    parts = ["parent", *(p.paper.arxiv_id for p in make_digest(date, args.papers).papers)]
    counted = Tally()

    def check(platform: str, channel: str, keys: list[str], threaded: bool) -> None:
        want = [delivery_key(day, platform, channel, "1", p) for p in parts]
        counted.duplicates += len(keys) - len(set(keys)) + len(set(keys) - set(want))
        counted.lost += len(set(want) - set(keys))
        if set(want) <= set(keys):
            if threaded and keys == want:
                counted.complete += 1
            else:
                counted.disordered += 1

    slack = reports["slack"]["channels"]
    for i in range(args.slack):
        ch = slack_channel(i)
        msgs = slack.get(ch, [])  # (key, ts, thread_ts) in the order stored
        parents = [m for m in msgs if m[2] is None]
        threaded = len(parents) == 1 and msgs[0] == parents[0] and all(
            m[2] == parents[0][1] for m in msgs[1:])
        check("slack", ch, [str(m[0]) for m in msgs], threaded)
    discord = reports["discord"]["channels"]
    for i in range(args.discord):
        ch = str(discord_channel(i))
        threads = discord.get(ch, [])  # [parent nonce, nonces in its thread...] per parent
        check("discord", ch, [str(k) for t in threads for k in t], len(threads) == 1)
    return counted
