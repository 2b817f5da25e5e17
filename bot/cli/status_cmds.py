"""`hotpapers status` (next run, the platforms the worker runs, the fleet: live workers,
the job queue and its failed jobs; the last post per channel, what failed) and
`hotpapers subscriptions` (every channel and what it gets).

Channel targets are never cut: the target column keeps its full width and the other
columns wrap instead (`--format json` for scripts)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.app import app, open_core, out, run
from bot.cli.fleet_view import print_fleet
from bot.core import Core
from bot.fleet import QueueView
from bot.fleet_report import fleet_report
from bot.jobs import shared_queue
from bot.models import Digest, Subscription
from bot.platforms import platform_states
from bot.publish import PublishReport
from bot.schedule import Scheduler
from bot.subscriptions import describe


class Format(StrEnum):
    text = "text"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="text (a table) or json.")]


def targets_table(title: str, columns: tuple[str, ...], targets: list[str]) -> Table:
    """A table whose first column (channel targets) is never cut or wrapped: the other
    columns fold instead."""
    table = Table(title=title, title_justify="left")
    width = max((len(t) for t in targets), default=7)
    table.add_column(columns[0], no_wrap=True, min_width=width, overflow="ignore")
    for col in columns[1:]:
        table.add_column(col, overflow="fold")
    return table


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))  # plain: never wrapped


# --- status ---------------------------------------------------------------------------
@dataclass
class ChannelStatus:
    target: str
    gets: str = "-"
    last_digest: str | None = None
    messages: dict[str, int] = field(default_factory=dict)
    at: str | None = None
    state: str = "ok"
    pause_reason: str = ""


async def channel_statuses(core: Core) -> list[ChannelStatus]:
    """Every subscribed or posted-to channel: what it gets and its last digest's messages."""
    store = core.store
    subs = {s.target: s for s in await store.list_subscriptions()}
    # per channel: digest key -> (message counts by state, last update); the channel's
    # last digest is the one updated last (a day, or a week or month: `2021-W31`)
    by_key: dict[str, dict[str, tuple[dict[str, int], str]]] = {}
    for d in await store.deliveries():
        target = f"{d.platform}:{d.channel}"
        counts, when = by_key.setdefault(target, {}).get(d.digest_key, ({}, ""))
        counts[d.status] = counts.get(d.status, 0) + 1
        stamp = d.updated_at.strftime("%Y-%m-%d %H:%M") if d.updated_at else ""
        by_key[target][d.digest_key] = (counts, max(when, stamp))
    last_by: dict[str, tuple[str, dict[str, int], str]] = {}
    for target, keys in by_key.items():
        key, (counts, when) = max(keys.items(), key=lambda kv: (kv[1][1], kv[0]))
        last_by[target] = (key, counts, when)
    found = []
    for target in sorted(set(subs) | set(last_by)):
        sub = subs.get(target)
        date_, counts, when = last_by.get(target, (None, {}, ""))
        if sub is None:
            state = "one-off (not subscribed)"
        elif sub.paused:
            state = "paused"
        elif counts.get("pending") or counts.get("failed") or counts.get("in_doubt"):
            state = "unfinished"
        else:
            state = "ok"
        found.append(ChannelStatus(
            target=target, gets=describe(sub).split(" (")[0] if sub else "-",
            last_digest=date_ or None, messages=dict(sorted(counts.items())),
            at=when or None, state=state, pause_reason=sub.pause_reason if sub and sub.paused
            else ""))
    return found


STATE_STYLE = {"ok": "green", "running": "green", "paused": "red", "stopped": "red",
               "unfinished": "yellow", "retrying": "yellow", "starting": "yellow"}


@app.command("status")
def status_command(fmt: FormatOpt = Format.text) -> None:
    """Next run, the platforms of the worker, the live workers and the job queue, the
    last post per channel and what failed."""

    async def go() -> None:
        async with open_core() as core, shared_queue(core.settings) as queue:
            await show_status(core, fmt, queue)

    run(go())


async def show_status(core: Core, fmt: Format = Format.text, queue: QueueView | None = None
                      ) -> None:
    """`queue`: the job backend's view of its queue (None: jobs run in-process)."""
    store = core.store

    async def no_build(_date: dt.date) -> Digest | None:
        return None

    async def no_publish(digest: Digest, _subs: list[Subscription]) -> PublishReport:
        return PublishReport(digest.key, ())

    scheduler = Scheduler(store, core.settings, build=no_build, publish=no_publish)
    nxt, last = await scheduler.next_run(), await scheduler.last_day()
    from bot.arxiv.listing import last_observation

    feed = await last_observation(store)
    platforms = await platform_states(store)
    channels = await channel_statuses(core)
    history = (await scheduler.history())[-5:]
    unfinished = await scheduler.unfinished()
    fleet = await fleet_report(store, queue, ttl=core.settings.fleet_ttl)
    windows = []
    subs = await store.list_subscriptions()
    for cadence in ("weekly", "monthly"):
        n = sum(1 for sub in subs if cadence in sub.cadences)
        if n:
            window, _ = scheduler.windows.latest_due(cadence, scheduler.clock.now())
            windows.append({"cadence": cadence, "channels": n, "last_due": window.key,
                            "next_due": scheduler.windows.next_due(
                                cadence, scheduler.clock.now()).isoformat()})
    if fmt is Format.json:
        print_json({
            "next_run": nxt.isoformat(), "due": nxt <= scheduler.clock.now(),
            "next_digest": scheduler.digest_date(nxt.date()).isoformat(),
            "catch_up": core.settings.catch_up, "last_day": last.isoformat() if last else None,
            "feed": {"date": feed[0].date.isoformat(), "items": feed[0].items, "at": str(feed[1])}
            if feed else None,
            "platforms": {name: asdict(state) for name, state in platforms.items()},
            "history": [{"at": str(o.at), "digest_date": str(o.digest_date),
                         "status": o.status, "detail": o.detail} for o in history],
            "unfinished": unfinished,
            "windows": windows,
            "channels": [asdict(c) for c in channels],
            **fleet.as_dict(),
        })
        return
    due = " (due now)" if nxt <= scheduler.clock.now() else ""
    out.print(f"[bold]next daily post[/]: {nxt:%Y-%m-%d %H:%M %Z}{due} "
              f"(digest of {scheduler.digest_date(nxt.date())}; catch-up "
              f"{'on' if core.settings.catch_up else 'off'})")
    out.print(f"[bold]last run day handled[/]: {last or 'none yet'}")
    for w in windows:
        out.print(f"[bold]{w['cadence']} posts[/]: {w['channels']} channel(s); last due "
                  f"{w['last_due']}, next due {w['next_due']}")
    if feed is not None:
        seen, at = feed
        what = f"{seen.items} new + cross papers" if seen.items else "empty: no announcement"
        out.print(f"[bold]last arXiv feed seen[/]: {seen.date} ({what}) at {at}")
    else:
        out.print("[bold]last arXiv feed seen[/]: never (the worker reads it hourly)")
    for name, state in sorted(platforms.items()):
        style = STATE_STYLE.get(state.state, "white")
        line = Text.assemble(("platform ", "bold"), f"{name}: ", (state.state, style),
                             f" since {state.since}")
        if state.error:
            line.append(f"; last error: {state.error}")
        out.print(line, soft_wrap=True)  # one line whatever the width: grep-able
    for o in history:
        out.print(f"  {o.at}  {o.digest_date}: {o.status} {o.detail}", markup=False)
    print_fleet(out, fleet)
    for iso, targets in unfinished.items():
        out.print(f"[yellow]unfinished[/] {iso}: {', '.join(targets)} (retried automatically)")
    if not channels:
        out.print("No channel subscribed yet; type: hotpapers subscribe slack:C0123456 cs.LG")
        return
    table = targets_table("Channels", ("channel", "gets", "last digest", "messages", "at (UTC)",
                                       "state"), [c.target for c in channels])
    for c in channels:
        msgs = ", ".join(f"{n} {s}" for s, n in c.messages.items()) or "-"
        shown = c.state.upper() if c.state == "paused" else c.state
        table.add_row(c.target, c.gets, c.last_digest or "-", msgs, c.at or "-",
                      Text(shown, STATE_STYLE.get(c.state, "white")))
    out.print(table)
    for c in channels:
        if c.state == "paused":
            out.print(Text.assemble(("paused", "red"), f" {c.target}: {c.pause_reason}"))
            out.print(f"  resume with: hotpapers subscribe {c.target}", markup=False)


# --- subscriptions --------------------------------------------------------------------
def subscription_dict(s: Subscription) -> dict[str, Any]:
    return {
        "target": s.target, "platform": s.platform, "channel": s.channel,
        "workspace": s.workspace, "gets": describe(s), "categories": list(s.categories),
        "include_keywords": list(s.include_keywords),
        "exclude_keywords": list(s.exclude_keywords),
        "include_authors": list(s.include_authors), "exclude_authors": list(s.exclude_authors),
        "min_score": s.min_score, "max_papers": s.max_papers, "paused": s.paused,
        "pause_reason": s.pause_reason,
        "since": s.created_at.isoformat() if s.created_at else None,
    }


@app.command("subscriptions")
def subscriptions_command(
    platform: Annotated[str | None, typer.Option("--platform", help="only this platform")
                        ] = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """Every subscribed channel and what it gets."""

    async def go() -> list[Subscription]:
        async with open_core() as core:
            return await core.store.list_subscriptions(platform)

    subs = run(go())
    if fmt is Format.json:
        print_json([subscription_dict(s) for s in subs])
        return
    if not subs:
        out.print("No channel subscribed yet; type: hotpapers subscribe slack:C0123456 cs.LG")
        return
    table = targets_table("Subscriptions", ("channel", "workspace", "gets", "since"),
                          [s.target for s in subs])
    for s in subs:
        since = s.created_at.strftime("%Y-%m-%d") if s.created_at else "-"
        table.add_row(s.target, s.workspace or "-", describe(s), since)
    out.print(table)
