"""Scale-out benchmark: a 10-paper digest to 10,000 channels (5,000 Slack across 50
workspaces, each with its own installation token; 5,000 Discord across 50 guilds) by 3
worker processes on one PostgreSQL database (a throwaway one on 127.0.0.1:5432, dropped
afterwards), against fake Slack and Discord servers in their own processes. The workers
are the issue's fleet: long-running `hotpapers run --role scheduler --role worker`
processes sharing the day through the procrastinate job queue, their rate limits on
Redis (`HOTPAPERS_REDIS_URL`; `--no-redis`: each paces at its share of the live workers).
The day is the one `tests.fakes.system_world.plan()` picks for now, its 10-paper digest
stored as an IMPORTED one (the build job keeps it and never reaches arXiv: every outside
URL is a closed port), the post due at start (HOTPAPERS_POST_TIME=00:00 in the plan's
zone). Mid-run (half the messages stored) the worker holding the most thread leases is
killed with -9 and started again with the same command; once every channel is complete
the workers get SIGTERM. `--posters`: the old one-shot `hotpapers post --subscribed`
processes instead (started again in rounds while the fan-out is unfinished).

Every platform limit is multiplied by one factor `--factor` (printed); the bound uses
the same factor (the platforms run concurrently, so it is the larger of):
- Slack: 11 messages a channel at 1 x factor msg/s per channel -> 10 / factor s (no
  limit across channels or workspaces is documented for chat.postMessage);
- Discord: each channel needs parent + thread + 10 papers = 12 REST requests under the
  global 50 x factor req/s per bot token -> channels x 12 / (50 x factor) s (the
  per-route bound, 5 messages per 5 / factor s in each thread, is smaller).

Duplicates and losses are read from the fakes: each channel must hold exactly one
parent and its 10 replies, in order, in the parent's thread. Last line:
`ratio=<wall/bound> channels=<n> workers=<n> killed=<n> http429=<n> duplicates=<n> lost=<n>`.

    .venv/bin/python bench/scale.py [--channels 10000] [--workers 3] [--factor 4]
    .venv/bin/python bench/scale.py --channels 400 --workers 3   # a quick try
    .venv/bin/python bench/scale.py --no-redis | --posters

The worker command is `worker_command` (one place); see bench/scale_fleet.py for how
workers are started again, bench/scale_fakes.py for the fakes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python bench/scale.py` from anywhere finds bench, tests

from bench.scale_check import Tally, tally  # noqa: E402
from bench.scale_fakes import (  # noqa: E402
    FakeProcess,
    discord_channel,
    discord_guild,
    slack_channel,
    slack_team,
    slack_token,
)
from bench.scale_fleet import Fleet, Run, machine_busy, processes_cpu  # noqa: E402
from bench.scale_redis import BenchRedis  # noqa: E402

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
NOWHERE = "http://127.0.0.1:9/"  # the sources: never called (the digest is stored)
REDIS_SERVER = "redis://127.0.0.1:6379"


@dataclass
class Context:
    """What a worker needs to know: where the database and the fakes are, the factor."""

    database_url: str
    slack_url: str
    discord_url: str
    factor: float
    lease_seconds: float
    date: dt.date  # the digest's date
    zone: str  # HOTPAPERS_TIMEZONE: the plan's, so that the post of `date` is due now
    posters: bool = False  # the old one-shot posters instead of `hotpapers run`
    redis_url: str = ""  # HOTPAPERS_REDIS_URL of the run workers ("": no Redis)
    fleet_ttl: float = 4.0  # HOTPAPERS_FLEET_TTL (heartbeat a quarter of it)


# --- the worker command: the ONE place to change it ------------------------------------------
def worker_command(slot: int, ctx: Context) -> tuple[list[str], dict[str, str]]:
    """argv and environment of worker `slot`: a long-running `hotpapers run --role
    scheduler --role worker` (the ticks, polls and heartbeats fast, as in
    tests/fakes/workers.py), or with `posters` a one-shot `hotpapers post --date D
    --subscribed` sharing the fan-out through the thread leases."""
    from bot.settings import Settings
    from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
    from tests.fakes.slack_api import OAUTH_ID, OAUTH_SECRET

    if ctx.posters:
        argv = [sys.executable, "-m", "bot", "post", "--date", ctx.date.isoformat(),
                "--subscribed"]
    else:
        argv = [sys.executable, "-m", "bot", "run", "--role", "scheduler", "--role", "worker"]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HOTPAPERS_", "SLACK_", "DISCORD_"))}
    global_rate = Settings.model_fields["discord_global_rate"].default * ctx.factor
    env.update({
        "PYTHONPATH": str(ROOT), "HOTPAPERS_DATABASE_URL": ctx.database_url,
        "HOTPAPERS_LEASE_SECONDS": f"{ctx.lease_seconds:g}",
        # OAuth mode: each Slack channel posts with its workspace's installation token
        "SLACK_CLIENT_ID": OAUTH_ID, "SLACK_CLIENT_SECRET": OAUTH_SECRET,
        "SLACK_API_URL": ctx.slack_url, "HOTPAPERS_SLACK_RATE": f"{ctx.factor:g}",
        "DISCORD_TOKEN": DISCORD_TOKEN, "DISCORD_API_URL": ctx.discord_url,
        "HOTPAPERS_DISCORD_GLOBAL_RATE": f"{global_rate:g}",
        "HOTPAPERS_ARXIV_API_URL": NOWHERE, "HOTPAPERS_ARXIV_RSS_URL": NOWHERE,
        "HOTPAPERS_ARXIV_OAI_URL": NOWHERE, "HOTPAPERS_HN_URL": NOWHERE,
        "HOTPAPERS_HF_URL": NOWHERE, "HOTPAPERS_BLUESKY_URL": NOWHERE,
        "HOTPAPERS_X_URL": NOWHERE,
    })
    if not ctx.posters:
        env.update({
            "HOTPAPERS_POST_TIME": "00:00", "HOTPAPERS_TIMEZONE": ctx.zone,
            # the tick reads arXiv's feed (a closed port here): fail fast, not in 3-s paces
            "HOTPAPERS_ARXIV_MIN_INTERVAL": "0",
            "HOTPAPERS_TICK_SECONDS": "1", "HOTPAPERS_JOB_POLL_SECONDS": "0.2",
            "HOTPAPERS_FLEET_HEARTBEAT": f"{ctx.fleet_ttl / 4:g}",
            "HOTPAPERS_FLEET_TTL": f"{ctx.fleet_ttl:g}",
            "HOTPAPERS_JOB_RETRY_SECONDS": "0.5",
        })
        if ctx.redis_url:
            env["HOTPAPERS_REDIS_URL"] = ctx.redis_url
    return argv, env


# --- the database ---------------------------------------------------------------------------
async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed(url: str, args: argparse.Namespace) -> None:
    """The digest, the Slack installations and every subscription, written directly."""
    from slack_sdk.oauth.installation_store import Installation

    from adapters.slack.install import installation_store
    from bot.models import IMPORTED
    from bot.schedule import LAST_DAY
    from bot.settings import Settings
    from bot.store import Store
    from bot.store import schema as t
    from tests.fakes.digests import make_digest
    from tests.fakes.slack_api import BOT_USER, OAUTH_ID

    store = await Store.open(url)
    try:
        # IMPORTED: the run workers' build job keeps it (never rebuilt, arXiv never asked)
        await store.save_digest(replace(make_digest(args.plan.date, args.papers),
                                        status=IMPORTED))
        if args.plan.last_day is not None:  # the weekend: the run catches up on that day
            await store.set_value(LAST_DAY, args.plan.last_day.isoformat())
        installs = await installation_store(Settings(database_url=url,
                                                     slack_client_id=OAUTH_ID), store.engine)
        for i in range(args.workspaces):
            team = f"T{i:05d}"
            await installs.async_save(Installation(
                app_id="A0001", team_id=team, team_name=f"Team {i}", bot_token=slack_token(team),
                bot_id="B0BOT", bot_user_id=BOT_USER, bot_scopes="chat:write",
                user_id="U0INSTALLER"))
        now = dt.datetime.now(dt.UTC)

        def row(platform: str, channel: str, workspace: str) -> dict[str, object]:
            return {"platform": platform, "workspace": workspace, "channel": channel,
                    "categories": [], "filters": {}, "min_score": 0, "max_papers": None,
                    "paused": False, "pause_reason": "", "created_at": now,
                    "cadences": ["daily"]}

        rows = [row("slack", slack_channel(i), slack_team(i, args.workspaces))
                for i in range(args.slack)]
        rows += [row("discord", str(discord_channel(i)), str(discord_guild(i, args.guilds)))
                 for i in range(args.discord)]
        async with store.engine.begin() as conn:
            for i in range(0, len(rows), 2000):
                await conn.execute(t.subscriptions.insert(), rows[i:i + 2000])
    finally:
        await store.close()


async def live_leases(url: str) -> dict[int, tuple[int, float]]:
    """pid -> (live thread leases it holds, seconds until the last expires); a holder is
    `host:pid:random`."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT holder, count(*) AS n, "
            "extract(epoch FROM max(expires_at) - now())::float AS left_s "
            "FROM thread_leases WHERE expires_at > now() GROUP BY holder")
    finally:
        await conn.close()
    held: dict[int, tuple[int, float]] = {}
    for r in rows:
        parts = str(r["holder"]).split(":")
        if len(parts) >= 3 and parts[-2].isdigit():
            n, left = held.get(int(parts[-2]), (0, 0.0))
            held[int(parts[-2])] = (n + int(r["n"]), max(left, float(r["left_s"])))
    return held


# --- the run ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    wall: float  # the first request to the fakes (a worker logs in) to the last message
    startup: float  # the workers' start to their first request
    kills: int
    done: bool
    fleet: Fleet
    postgres_cpu: float
    machine: tuple[float, float]  # busy CPU seconds, wall seconds of the run x cores
    longest_pause: float  # the longest time without a new message (the kill's takeover)


async def drive(fleet: Fleet, fakes: list[FakeProcess], expected: int, url: str,
                args: argparse.Namespace, db_name: str) -> Outcome:
    kill_marks = [expected * (k + 1) / (args.kills + 1) for k in range(args.kills)]
    kills, pg_cpu = 0, {}
    busy0, total0 = machine_busy()
    start = time.monotonic()
    fleet.start_all()
    last_progress, seen, next_scan, next_round = start, 0, start, start + args.retry_every
    longest_pause = 0.0
    while True:
        await asyncio.sleep(0.1)
        fleet.poll()
        now = time.monotonic()
        stored = sum(f.progress.keys.value for f in fakes)
        if stored > seen:
            if seen:
                longest_pause = max(longest_pause, now - last_progress)
            seen, last_progress = stored, now
        if now >= next_scan:  # the database's share: its backends for this database
            pg_cpu.update(processes_cpu(db_name))
            next_scan = now + 1.0
        if stored >= expected:
            break
        if kill_marks and stored >= kill_marks[0]:
            victim = await _victim(fleet, url)
            if victim is not None:
                kill_marks.pop(0)
                fleet.kill(victim)
                kills += 1
                print(f"killed worker {victim.slot} (pid {victim.pid}) with -9 at "
                      f"{stored}/{expected} messages, {now - start:.1f} s in; started again",
                      flush=True)
                fleet.start(victim.slot)
        if args.posters and not fleet.running() and now >= next_round:
            wait = await _next_round(fleet, url, args.retry_every)
            if wait > 0:
                next_round = now + wait
            else:  # the daily run's retry of unfinished channels, sooner
                fleet.start_all()
                next_round = now + args.retry_every
        if now - last_progress > args.stall:
            print(f"no new message for {args.stall:g} s: giving up", flush=True)
            break
    end = max(f.progress.last.value for f in fakes) or time.monotonic()
    first = min((f.progress.first.value for f in fakes if f.progress.first.value),
                default=start)
    deadline = time.monotonic() + (60 if args.posters else 0)  # run workers: SIGTERM now
    while fleet.running() and time.monotonic() < deadline:  # let them finish and report
        fleet.poll()
        pg_cpu.update(processes_cpu(db_name))
        await asyncio.sleep(0.1)
    fleet.stop()
    busy1, total1 = machine_busy()
    return Outcome(end - first, first - start, kills, stored >= expected, fleet,
                   sum(pg_cpu.values()), (busy1 - busy0, total1 - total0), longest_pause)


async def _victim(fleet: Fleet, url: str) -> Run | None:
    """The running worker holding the most leases (else the one that used most CPU)."""
    running = fleet.running()
    if not running:
        return None
    held = await live_leases(url)
    return max(running, key=lambda r: (held.get(r.pid, (0, 0.0))[0], fleet.cpu_so_far(r)))


async def _next_round(fleet: Fleet, url: str, retry_every: float) -> float:
    """No worker runs and the fan-out is unfinished: seconds to wait before every slot
    starts its worker again. While a dead worker's leases are live nobody can take its
    threads, so the round waits for them to expire (a round started earlier would only
    find them busy)."""
    alive = {r.pid for r in fleet.running()}
    orphaned = [left for pid, (_, left) in (await live_leases(url)).items() if pid not in alive]
    return max(orphaned, default=0.0) + 0.1 if orphaned else 0.0


def bounds(args: argparse.Namespace) -> tuple[float, float, int]:
    """(Slack bound, Discord bound, Discord requests required), seconds."""
    slack = args.papers / args.factor if args.slack else 0.0
    required = args.discord * (args.papers + 2)
    per_route = max(0, -(-args.papers // 5) - 1) * 5 / args.factor
    discord = max(required / (50 * args.factor), per_route) if args.discord else 0.0
    return slack, discord, required


async def bench(args: argparse.Namespace) -> tuple[Outcome, Tally, dict[str, dict[str, object]]]:
    own_db = not args.database_url
    db_name = f"hotpapers_bench_{uuid.uuid4().hex[:10]}" if own_db else \
        args.database_url.rsplit("/", 1)[1]
    url = args.database_url or f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db_name}"
    fakes = {"slack": FakeProcess("slack", args.slack, args.workspaces, args.factor),
             "discord": FakeProcess("discord", args.discord, args.guilds, args.factor)}
    redis = None if args.posters or args.no_redis else BenchRedis.fresh()
    if own_db:
        await _admin(f'CREATE DATABASE "{db_name}"')
    try:
        await seed(url, args)
        ctx = Context(url, f"http://127.0.0.1:{fakes['slack'].port}/api/",
                      f"http://127.0.0.1:{fakes['discord'].port}/api/v10", args.factor,
                      args.lease_seconds, args.plan.date, args.plan.zone, args.posters,
                      redis.url if redis is not None else "", args.fleet_ttl)
        with tempfile.TemporaryDirectory(prefix="hotpapers-scale-") as tmp:
            os.makedirs(args.logs or tmp, exist_ok=True)
            fleet = Fleet(lambda slot: worker_command(slot, ctx), args.workers,
                          Path(args.logs or tmp), ROOT)
            expected = (args.slack + args.discord) * (args.papers + 1)
            outcome = await drive(fleet, list(fakes.values()), expected, url, args, db_name)
            for run in fleet.runs:
                run.reported = run.sent()
                if run.status not in (0, 1, -9, -15):
                    print(f"worker {run.slot} run {run.number} exited {run.status}:\n"
                          + run.log.read_text(errors="replace")[-2000:])
    finally:
        reports = {name: f.report() for name, f in fakes.items()}
        if own_db:
            await _admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        if redis is not None:
            redis.clean()
    return outcome, tally(args, reports, args.plan.date), reports


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=10_000, help="half Slack, half Discord")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--factor", type=float, default=4.0,
                        help="multiply every platform limit (and the bound) by this")
    parser.add_argument("--papers", type=int, default=10)
    parser.add_argument("--workspaces", type=int, default=50, help="Slack workspaces")
    parser.add_argument("--guilds", type=int, default=50, help="Discord guilds")
    parser.add_argument("--kills", type=int, default=1, help="workers killed with -9")
    parser.add_argument("--lease-seconds", type=float, default=30.0,
                        help="HOTPAPERS_LEASE_SECONDS: a killed worker's threads are taken "
                             "over after this")
    parser.add_argument("--retry-every", type=float, default=2.0,
                        help="seconds between rounds of one-shot workers when none runs")
    parser.add_argument("--stall", type=float, default=120.0,
                        help="give up after this many seconds without a new message")
    parser.add_argument("--database-url", default="",
                        help="an empty PostgreSQL database to use (postgresql+asyncpg://...); "
                             "default: a throwaway one on 127.0.0.1:5432, dropped after")
    parser.add_argument("--no-redis", action="store_true",
                        help="no HOTPAPERS_REDIS_URL: each worker paces at its share of the "
                             "live workers")
    parser.add_argument("--fleet-ttl", type=float, default=20.0,
                        help="HOTPAPERS_FLEET_TTL (heartbeat: a quarter): a worker silent "
                             "this long is dead and its jobs are queued again (too short on "
                             "a loaded machine: live workers' jobs are queued again too)")
    parser.add_argument("--posters", action="store_true",
                        help="one-shot `hotpapers post --subscribed` processes (the old "
                             "bench) instead of `hotpapers run` workers")
    parser.add_argument("--logs", default="", help="keep the workers' output in this folder")
    args = parser.parse_args(argv)
    if args.channels < 2 or args.workers < 1 or args.factor <= 0 or args.papers < 1:
        parser.error("need --channels >= 2, --workers >= 1, --factor > 0, --papers >= 1")
    args.slack = args.channels // 2
    args.discord = args.channels - args.slack
    args.workspaces = max(1, min(args.workspaces, args.slack))
    args.guilds = max(1, min(args.guilds, args.discord))
    from tests.fakes.system_world import plan

    args.plan = plan(dt.datetime.now(dt.UTC))
    args.redis = "off" if args.posters or args.no_redis else "on"
    return args


def main(argv: list[str] | None = None) -> str:
    """Run the benchmark, print its lines; returns the last one."""
    from bench.scale_report import report

    args = parse(argv)
    outcome, counted, reports = asyncio.run(bench(args))
    return report(args, outcome, counted, reports, bounds(args))


if __name__ == "__main__":
    main()
