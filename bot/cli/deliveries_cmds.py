"""`hotpapers deliveries`: the delivery ledger of a day, readable.

Every thread planned for the day (per channel: the daily post or `post`'s thread "1",
`--again` threads "2", "3" ..., answers to `/hot`), then each of its messages in planned
order: part, state, the platform's message id (a permalink where the platform has one),
attempts and the last error. `--format json` gives one object per message.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from bot.chat import parse_target
from bot.cli.app import app, fail, open_core, out, run
from bot.dates import LATEST, parse_date
from bot.models import PARENT, Delivery, ThreadPlan
from bot.plans import describe_plan, digest_key
from bot.settings import get_settings
from bot.store import Store

STATES = {"sent": "[green]sent[/]", "pending": "[yellow]pending[/]",
          "in_doubt": "[red]in doubt[/]", "failed": "[red]failed[/]",
          "planned": "[dim]planned[/]"}


async def ledger_of(store: Store, key: str, target: tuple[str, str] | None
                    ) -> list[tuple[ThreadPlan, list[dict[str, Any]]]]:
    """Each thread of `key` (optionally of one channel) with its messages in order."""
    platform, channel = target if target else (None, None)
    plans = await store.thread_plans(key, platform, channel)
    rows: dict[tuple[str, str, str], dict[str, Delivery]] = {}
    for row in await store.deliveries(key, platform, channel):
        rows.setdefault((row.platform, row.channel, row.thread), {})[row.part] = row
    leases = {(x["platform"], x["channel"], x["thread"]): x for x in await store.leases(key)}
    out_: list[tuple[ThreadPlan, list[dict[str, Any]]]] = []
    for plan in plans:
        got = rows.get((plan.platform, plan.channel, plan.thread), {})
        order = [*plan.all_parts, *sorted(p for p in got if p not in plan.all_parts)]
        lease = leases.get((plan.platform, plan.channel, plan.thread))
        messages = []
        for i, part in enumerate(order):
            d: Delivery | None = got.get(part)
            messages.append({
                "target": plan.target, "platform": plan.platform, "channel": plan.channel,
                "thread": plan.thread, "part": part,
                "position": i if i < len(plan.all_parts) else None,
                "state": d.status if d else "planned",
                "message_id": d.message_id if d else None,
                "thread_id": d.thread_id if d else None,
                "permalink": d.permalink if d else None,
                "attempts": d.attempts if d else 0,
                "first_attempt_at": _iso(d.first_attempt_at) if d else None,
                "updated_at": _iso(d.updated_at) if d else None,
                "last_error": (d.detail if d and d.status != "sent" else "") or "",
                "view": describe_plan(plan),
                "being_posted_by": lease["holder"] if lease else None,
            })
        out_.append((plan, messages))
    return out_


def _iso(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


@app.command("deliveries")
def deliveries_command(
    date: Annotated[str, typer.Option("--date", "-d", help="YYYY-MM-DD, yesterday or latest.")
                    ] = LATEST,
    to: Annotated[str | None, typer.Option("--to", "-t", help="Only this channel "
                                           "(platform:CHANNEL).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json")] = "table",
) -> None:
    """The delivery ledger of a day: every thread and each of its messages."""
    if fmt not in ("table", "json"):
        fail(f"unknown format '{fmt}'; use --format table or --format json")
    parsed_target = parse_target(to, get_settings()) if to else None
    target = (parsed_target.platform, parsed_target.channel) if parsed_target else None
    parsed = parse_date(date)

    async def go() -> tuple[str, list[tuple[ThreadPlan, list[dict[str, Any]]]]]:
        async with open_core() as core:
            if isinstance(parsed, str):
                latest = await core.store.latest_date()
                if latest is None:
                    fail("no digest stored yet; nothing was delivered")
                day = latest
            else:
                day = parsed
            key = digest_key(day)
            return key, await ledger_of(core.store, key, target)

    key, threads = run(go())
    if fmt == "json":
        out.print_json(json.dumps([m for _, msgs in threads for m in msgs]))
        return
    if not threads:
        where = f" to {to}" if to else ""
        out.print(f"Nothing was posted for {key}{where}.", markup=False)
        return
    for plan, messages in threads:
        sent = sum(1 for m in messages if m["state"] == "sent")
        holder = messages[0]["being_posted_by"] if messages else None
        busy = f"; being posted by {holder}" if holder else ""
        table = Table(title=f"{plan.target} · thread {plan.thread} ({plan.origin}): "
                            f"{describe_plan(plan)} · {sent} of {len(plan.all_parts)} sent{busy}",
                      title_justify="left")
        for col in ("#", "part", "state", "message", "attempts", "last error"):
            table.add_column(col, overflow="fold")
        for m in messages:
            position = "" if m["position"] is None else str(m["position"])
            part = "parent" if m["part"] == PARENT else m["part"]
            message = m["permalink"] or m["message_id"] or "-"
            table.add_row(position, part, STATES.get(m["state"], m["state"]), message,
                          str(m["attempts"]), m["last_error"] or "")
        out.print(table)
