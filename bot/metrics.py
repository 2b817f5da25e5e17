"""The process's Prometheus metrics (prometheus-client): one registry per process, so
each `hotpapers run` worker and each `hotpapers serve` is its own scrape target.

What is counted, and where:
- `hotpapers_messages_total{platform,state}`: each message the delivery loop settles
  (`bot.delivery`): `sent`, `found` (a send in doubt settled by reading the platform
  back), `failed` (refused for good), `in_doubt` (may have landed, can't be read back);
- `hotpapers_http_429_total{platform}`: every 429 answer seen: `discord` (an aiohttp
  middleware on discord.py's requests), `slack` (slack_sdk's rate-limit retry handler),
  each social source and `arxiv` (their fetchers);
- `hotpapers_retries_total{platform}`: each retry of our own retry loops (a message of
  the delivery loop, a social source's or arXiv's request); 429s the SDKs absorb are
  counted as 429s;
- `hotpapers_job_seconds{task,outcome}`: job latency, queued -> done (`observe_job`,
  called by the job backend; the in-process scheduler times its `build` and `post`
  steps as jobs queued when they start: `timed_job`);
- `hotpapers_build_seconds{source,outcome}`: how long each social source and the arXiv
  listing took in a build (`timed_build`).

The fleet's gauges (live workers, queue depth, oldest pending job, failed jobs) are read
from the database at scrape time (`bot.fleet_report.FleetCollector`) and rendered with
these by `exposition` into one document, in the format the scraper asks for (Prometheus
text, or OpenMetrics: prometheus-client's `choose_encoder`). The core only: no platform
SDK here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import ParamSpec, TypeVar

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

__all__ = [
    "MESSAGE_STATES", "REGISTRY", "count_429", "count_message", "count_retry",
    "exposition", "observe_build", "observe_job", "timed_build", "timed_job",
]

P = ParamSpec("P")
T = TypeVar("T")

MESSAGE_STATES = ("sent", "found", "failed", "in_doubt")

REGISTRY = CollectorRegistry(auto_describe=True)
for _default in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):  # memory, CPU, GC
    REGISTRY.register(_default)

MESSAGES = Counter("hotpapers_messages", "Messages settled by the delivery loop.",
                   ["platform", "state"], registry=REGISTRY)
HTTP_429 = Counter("hotpapers_http_429", "HTTP 429 answers seen, by platform or source.",
                   ["platform"], registry=REGISTRY)
RETRIES = Counter("hotpapers_retries", "Retries of the delivery loop and the sources' "
                  "fetchers, by platform or source.", ["platform"], registry=REGISTRY)
JOB_SECONDS = Histogram(
    "hotpapers_job_seconds", "Job latency: from queued to done.", ["task", "outcome"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
    registry=REGISTRY)
BUILD_SECONDS = Histogram(
    "hotpapers_build_seconds", "Time each source (and the arXiv listing) took in a build.",
    ["source", "outcome"], buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
    registry=REGISTRY)


def count_message(platform: str, state: str) -> None:
    MESSAGES.labels(platform, state).inc()


def count_429(platform: str) -> None:
    HTTP_429.labels(platform).inc()


def count_retry(platform: str) -> None:
    RETRIES.labels(platform).inc()


def observe_job(task: str, queued_at: dt.datetime | float, finished_at: dt.datetime | float
                | None = None, outcome: str = "ok") -> None:
    """One job done: `task` (`build`, `post`, ...), queued at `queued_at` and finished at
    `finished_at` (default now): datetimes (naive ones are UTC, as SQLite gives them back)
    or `time.time()` seconds. `outcome`:
    `ok`, `failed`, ... (a label: keep the set small)."""
    end = time.time() if finished_at is None else _epoch(finished_at)
    JOB_SECONDS.labels(task, outcome).observe(max(0.0, end - _epoch(queued_at)))


def _epoch(when: dt.datetime | float) -> float:
    if not isinstance(when, dt.datetime):
        return when
    return (when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)).timestamp()


def timed_job(task: str, call: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """`call`, each await observed as a job `task` queued when it starts (the in-process
    path, where nothing waits in a queue)."""

    async def timed(*args: P.args, **kwargs: P.kwargs) -> T:
        queued = time.time()
        try:
            result = await call(*args, **kwargs)
        except BaseException as exc:
            observe_job(task, queued, outcome="failed" if isinstance(exc, Exception)
                        else "cancelled")
            raise
        observe_job(task, queued)
        return result

    return timed


def observe_build(source: str, seconds: float, outcome: str = "ok") -> None:
    BUILD_SECONDS.labels(source, outcome).observe(max(0.0, seconds))


@contextlib.asynccontextmanager
async def timed_build(source: str, named: Mapping[type[BaseException], str] | None = None
                      ) -> AsyncIterator[None]:
    """Time one source's part of a build. An exception is observed as `failed`, or as
    the outcome `named` gives its type (`{SourceOutOfReach: "out_of_reach"}`); a
    cancelled fetch as `cancelled`; then raised."""
    start = time.monotonic()
    outcome = "failed"
    try:
        yield
        outcome = "ok"
    except BaseException as exc:
        outcome = next((name for kind, name in (named or {}).items() if isinstance(exc, kind)),
                       "failed" if isinstance(exc, Exception) else "cancelled")
        raise
    finally:
        observe_build(source, time.monotonic() - start, outcome)


class _Together(Collector):
    """This process's registry and the scrape's own collectors, as one."""

    def __init__(self, extra: tuple[Collector, ...]) -> None:
        self.extra = extra

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        for collector in self.extra:
            yield from collector.collect()


def exposition(*extra: Collector, accept: str | None = None) -> tuple[bytes, str]:
    """This process's metrics, then `extra` collectors' (the fleet's gauges read at
    scrape time), in the format the scraper's `Accept` header asks for (Prometheus text,
    or OpenMetrics): the body and its content type (prometheus-client's negotiation)."""
    encoder, content_type = choose_encoder(accept or "")
    together = CollectorRegistry(auto_describe=False)
    together.register(_Together(extra))
    return encoder(together), content_type
