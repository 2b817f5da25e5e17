"""Two and three `hotpapers run` workers on one PostgreSQL database (procrastinate jobs):
the daily post, due at start, goes out once per channel (one thread: the parent and each
planned paper once, in order) and the day is built once, whichever worker builds it.
The three-worker fleet is split by roles: one `--role scheduler`, two `--role worker`
(the gateway role is left out: nothing connects to the platforms' gateways)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path

import pytest

from tests.fakes.discord_api import TEXT_CHANNEL_ID
from tests.fakes.workers import fleet_world, keys_of

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DISCORD_LG = 9301
SLACK = {f"slack:C0W{i:02d}": ("cs.LG",) if i % 2 else () for i in range(8)}
SUBSCRIBED = {**SLACK, f"discord:{TEXT_CHANNEL_ID}": (), f"discord:{DISCORD_LG}": ("cs.LG",)}
ROLES = {2: [(), ()], 3: [("--role", "scheduler"), ("--role", "worker"),
                          ("--role", "worker", "--role", "gateway")]}


@pytest.mark.parametrize("workers", [2, 3])
async def test_workers_post_each_channel_once_and_build_the_day_once(
        pg_url: str, tmp_path: Path, workers: int) -> None:
    async with fleet_world(pg_url, tmp_path, slack_latency=0.02, discord_latency=0.02,
                           HOTPAPERS_JOB_BATCH="3", HOTPAPERS_JOB_CONCURRENCY="1",
                           HOTPAPERS_SLACK_RATE="20") as world:
        world.discord.add_channel(DISCORD_LG, "lg-papers", 0)
        await world.subscribe(SUBSCRIBED)
        for args in ROLES[workers]:
            await world.start(*args)

        async def posted() -> bool:
            plans, ledger, _ = await world.plans_and_ledger()
            return len(plans) == len(SUBSCRIBED) and len(ledger) == sum(
                len(p.all_parts) for p in plans.values()) and all(
                d.status == "sent" for d in ledger)

        deadline = time.monotonic() + 40
        while not await posted():
            assert time.monotonic() < deadline, f"no full fan-out in time\n{world.tails()}"
            assert all(p.returncode is None for p, _ in world.procs), world.tails()
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)  # a second post would show up now
        plans, _, leases = await world.plans_and_ledger()
        codes = await world.stop_all()

    logs = world.logs()
    assert codes == [0] * workers, world.tails()
    assert "Traceback" not in logs, world.tails()
    assert {p.thread for p in plans.values()} == {"1"}
    for target in SUBSCRIBED:  # one thread, each planned message once, in order
        assert keys_of(world, target) == [world.wanted_keys(plans, target)], target
    assert len(plans["slack:C0W00"].parts) == 3 and len(plans["slack:C0W01"].parts) == 2
    assert leases == []
    # the day was built once, by one of the workers, and the jobs were shared
    assert logs.count(f"building the digest of {world.day}") == 1, logs[-4000:]
    assert logs.count("job post_channels[") >= 4  # 10 channels, 3 per job
    running = [log.read_text() for _, log in world.procs]
    assert sum("job post_channels[" in text for text in running) >= 2, world.tails()


async def test_jobs_lists_a_failed_build_with_its_error_and_retry_runs_it(
        pg_url: str, tmp_path: Path) -> None:
    async with fleet_world(pg_url, tmp_path, HOTPAPERS_BUILD_ATTEMPTS="1") as world:
        await world.subscribe({"slack:C0JOBS": ()})
        world.arxiv.fail_next(100_000, 503)  # arXiv is down: every build fails
        await world.start("--role", "scheduler", "--role", "worker")

        await world.until("a failed build", lambda: "] failed: BuildError" in world.logs())
        code, listed = await world.cli("jobs")  # queued, running and failed
        assert code == 0 and listed.startswith("procrastinate: "), listed
        failed = [line.split()[0] for line in listed.splitlines()
                  if " failed " in line and "build_day" in line]
        assert failed, listed
        job = failed[-1]  # the oldest failed build
        shown = listed.splitlines()
        at = next(i for i, line in enumerate(shown) if line.split()[:1] == [job])
        assert "failed" in shown[at] and f"day={world.how.date + dt.timedelta(days=1)}" \
            in shown[at], listed
        assert shown[at + 1].strip().startswith("error: ") and "503" in shown[at + 1], listed

        world.arxiv._failures.clear()  # arXiv is back
        code, again = await world.cli("jobs", "retry", job)
        assert code == 0 and again.startswith(f"queued again: {job:>6}") and "queued" in again, \
            again
        code, twice = await world.cli("jobs", "retry", job)  # not failed any more
        assert code == 2 and "only a failed job can be retried" in twice, twice
        await world.until(f"job {job} done", lambda: f"job build_day[{job}]: " in world.logs())
        code, done = await world.cli("jobs", "--status", "done", "--limit", "500")
        assert any(line.split()[:2] == [job, "done"] for line in done.splitlines()), done
        assert (await world.stop_all()) == [0]
