"""The worker processes of bench/scale.py: start N, kill one with -9 mid-run, start it
again with the same command, and account for each run (exit status, CPU time, peak
resident memory, what its report says it sent).

A worker here is whatever `command(slot)` returns. One-shot posters (`hotpapers post
--subscribed`) exit when they have done what they could; while the fan-out is
unfinished and no worker is left running, every slot starts its worker again (every
`retry_every` seconds): what the daily run's retry of unfinished channels does, sooner.
A long-running worker (`hotpapers run --role scheduler --role worker`) never exits:
only the killed one is started again, and all get SIGTERM once the fan-out is complete.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Command = Callable[[int], tuple[list[str], dict[str, str]]]
SENT = re.compile(r": (\d+) of (\d+) messages sent")  # `hotpapers post`, per channel
JOB_SENT = re.compile(r"job post_channels\[\d+\].*?(\d+) messages sent(?:.*?(\d+) busy)?")


@dataclass
class Run:
    slot: int
    number: int
    proc: subprocess.Popen[bytes]
    log: Path
    started: float
    ended: float | None = None
    status: int | None = None  # exit code, or -signal
    killed: bool = False
    cpu: float = 0.0  # user + system seconds (from wait4)
    peak_kb: int = 0  # VmHWM while it ran, or ru_maxrss at its end
    reported: tuple[int, int, int] = (0, 0, 0)  # (sent, busy, gave up): from its output

    @property
    def pid(self) -> int:
        return self.proc.pid

    def sent(self) -> tuple[int, int, int]:
        """(messages it reports sent, channels it found busy, channels it gave up because
        its lease could not be renewed in time)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        jobs = list(JOB_SENT.finditer(text))  # `hotpapers run`: per post job
        if jobs:
            return (sum(int(m[1]) for m in jobs), sum(int(m[2] or 0) for m in jobs), 0)
        sent = sum(int(m[1]) for m in SENT.finditer(text))
        gave_up = sum(1 for line in text.splitlines()
                      if line.startswith("✗") and "busy: " in line and "lease" in line)
        return sent, text.count("being posted by another process"), gave_up


@dataclass
class Fleet:
    command: Command
    workers: int
    logs: Path
    cwd: Path
    runs: list[Run] = field(default_factory=list)

    def start(self, slot: int) -> Run:
        argv, env = self.command(slot)
        number = sum(1 for r in self.runs if r.slot == slot) + 1
        log = self.logs / f"worker-{slot}-run-{number}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, env=env, cwd=self.cwd, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        run = Run(slot, number, proc, log, time.monotonic())
        self.runs.append(run)
        return run

    def start_all(self) -> None:
        for slot in range(self.workers):
            self.start(slot)

    def running(self) -> list[Run]:
        return [r for r in self.runs if r.status is None]

    def poll(self) -> None:
        """Reap the runs that ended; sample the peak memory of the others."""
        for run in self.running():
            run.peak_kb = max(run.peak_kb, _vm_hwm_kb(run.pid))
            self._reap(run, block=False)

    def _reap(self, run: Run, *, block: bool) -> None:
        pid, status, usage = os.wait4(run.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return
        run.ended = time.monotonic()
        run.status = os.waitstatus_to_exitcode(status)
        run.proc.returncode = run.status  # reaped here, not by Popen
        run.cpu = usage.ru_utime + usage.ru_stime
        run.peak_kb = max(run.peak_kb, usage.ru_maxrss)

    def kill(self, run: Run) -> None:
        """kill -9 one run (by its pid) and reap it."""
        run.peak_kb = max(run.peak_kb, _vm_hwm_kb(run.pid))
        os.kill(run.pid, signal.SIGKILL)
        run.killed = True
        self._reap(run, block=True)

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM what still runs (each by pid), SIGKILL what is left after `grace` s."""
        for run in self.running():
            os.kill(run.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.running() and time.monotonic() < deadline:
            self.poll()
            time.sleep(0.05)
        for run in self.running():
            os.kill(run.pid, signal.SIGKILL)
            self._reap(run, block=True)

    def cpu_so_far(self, run: Run) -> float:
        if run.status is not None:
            return run.cpu
        try:
            fields = Path(f"/proc/{run.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def processes_cpu(pattern: str) -> dict[int, float]:
    """CPU seconds of every process whose command line contains `pattern` (PostgreSQL's
    backends name their database there)."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if pattern not in (entry / "cmdline").read_bytes().decode(errors="replace"):
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick
