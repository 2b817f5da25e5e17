"""The lines bench/scale.py prints: set-up, bound and what sets it, wall and ratio, the
workers (runs, kills, what each sent, peak memory), 429s, where the CPU went (workers,
each fake, PostgreSQL's backends, the whole machine), duplicates and losses; the last
line is the one to compare."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.scale import Outcome
    from bench.scale_check import Tally


def report(args: argparse.Namespace, outcome: Outcome, counted: Tally,
           reports: dict[str, dict[str, Any]], bound_parts: tuple[float, float, int]) -> str:
    slack_bound, discord_bound, required = bound_parts
    bound = max(slack_bound, discord_bound)
    slack, discord = reports["slack"], reports["discord"]
    f = args.factor
    lines = [
        f"channels={args.channels} (slack {args.slack} in {args.workspaces} workspaces, "
        f"discord {args.discord} in {args.guilds} guilds) papers={args.papers} "
        f"messages={args.channels * (args.papers + 1)} workers={args.workers} on PostgreSQL "
        + ("(one-shot `hotpapers post --subscribed` posters)" if args.posters else
           f"(`hotpapers run --role scheduler --role worker`, Redis {args.redis}); digest "
           f"{args.plan.date} (imported), zone {args.plan.zone}"),
        f"factor={f:g}: Slack {f:g} msg/s per channel; Discord 5 msgs per {5 / f:.3f} s per "
        f"route, {50 * f:g} req/s global per token",
        f"bound: slack {slack_bound:.2f} s ({args.papers + 1} messages a channel at {f:g}/s); "
        f"discord {discord_bound:.2f} s ({required} requests required at {50 * f:g} req/s; "
        f"{discord['requests']} made) -> {bound:.2f} s, set by "
        + ("Discord's global limit" if discord_bound >= slack_bound else
           "Slack's per-channel pace"),
        f"wall={outcome.wall:.2f}s (first request to the fakes to the last message; the "
        f"workers started {outcome.startup:.1f} s before) bound={bound:.2f}s "
        f"ratio={outcome.wall / bound:.3f}" + ("" if outcome.done else " (NOT finished)"),
    ]
    runs = outcome.fleet.runs
    for run in runs:
        sent, busy, gave_up = run.reported
        how = "killed -9" if run.killed else f"exit {run.status}"
        lines.append(f"  worker {run.slot} run {run.number}: {how} after "
                     f"{(run.ended or run.started) - run.started:.1f} s, sent {sent}, "
                     f"busy {busy} channels, gave up {gave_up} (lease not renewed in time), "
                     f"cpu {run.cpu:.1f} s, "
                     f"peak {run.peak_kb / 1024:.0f} MiB")
    peak = max((r.peak_kb for r in runs), default=0)
    lines.append(f"workers: {args.workers} ({len(runs)} runs), killed {outcome.kills}; peak "
                 f"memory of one worker (VmHWM) {peak / 1024:.0f} MiB; longest pause without "
                 f"a new message {outcome.longest_pause:.1f} s (lease {args.lease_seconds:g} s)")
    lines.append(f"429s: slack {slack['http429']}, discord {discord['http429']} (global "
                 f"{discord['global429']}); requests: slack {slack['requests']}, discord "
                 f"{discord['requests']}; wrong-workspace posts {slack['wrong_token']}")
    routes = ", ".join(f"{k} {v}" for k, v in sorted(discord["by_route"].items(),
                                                      key=lambda kv: -kv[1])[:4])
    lines.append(f"discord requests by route: {routes}")
    busy, total = outcome.machine
    worker_cpu = sum(r.cpu for r in runs)
    lines.append(
        f"cpu seconds: workers {worker_cpu:.1f}, fake slack {slack['cpu']:.1f}, fake discord "
        f"{discord['cpu']:.1f}, postgres {outcome.postgres_cpu:.1f}; machine busy "
        f"{busy:.0f} of {total:.0f} ({100 * busy / max(total, 1e-9):.0f}%, other processes "
        "included)")
    lines.append(f"channels complete {counted.complete}/{args.channels}, disordered "
                 f"{counted.disordered}")
    http429 = slack["http429"] + discord["http429"]
    last = (f"ratio={outcome.wall / bound:.3f} channels={args.channels} workers={args.workers} "
            f"killed={outcome.kills} http429={http429} duplicates={counted.duplicates} "
            f"lost={counted.lost}")
    lines.append(last)
    print("\n".join(lines), flush=True)
    return last
