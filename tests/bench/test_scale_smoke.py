"""bench/scale.py can't rot: its main, on a tiny configuration (40 channels, 2 long-running
`hotpapers run --role scheduler --role worker` workers on a throwaway PostgreSQL database
with their limits on Redis, one killed with -9 mid-run and started again), ends with every
message in place once: the fakes hold one parent and its replies per channel, in order."""

from __future__ import annotations

import re
import socket

import pytest

from bench.scale import main

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_tiny_scale_run_kills_one_worker_and_loses_nothing(
    capsys: pytest.CaptureFixture[str], pg_url: str
) -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        redis = "on"
    except OSError:  # no Redis here: the share-of-live-workers path
        redis = "off"
    last = main(["--channels", "40", "--workers", "2", "--factor", "4", "--papers", "4",
                 "--lease-seconds", "4", "--stall", "30", "--database-url", pg_url,
                 *(["--no-redis"] if redis == "off" else [])])
    printed = capsys.readouterr().out
    assert printed.rstrip().splitlines()[-1] == last
    fields = dict(re.findall(r"(\w+)=([\d.]+)", last))
    assert fields["channels"] == "40" and fields["workers"] == "2", last
    assert fields["killed"] == "1", printed
    assert fields["duplicates"] == "0" and fields["lost"] == "0", printed
    assert "channels complete 40/40, disordered 0" in printed, printed
    assert f"`hotpapers run --role scheduler --role worker`, Redis {redis}" in printed, printed
