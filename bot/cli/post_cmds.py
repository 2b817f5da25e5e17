"""`hotpapers post`: post a digest to chat channels now.

- `--to TARGET ... [-c CAT]`: this view (the whole digest, or these categories) as the
  channel's thread. Run again, it finishes what is missing and never posts twice; on a
  day the channel already has with another view it sends nothing and says so in one
  line naming `--again`, which posts this view as a new thread (its own plan and keys).
- `--subscribed`: every subscribed channel, each with its own view, through exactly the
  daily run's code path (`Scheduler.post_date`).
- `--resend-in-doubt`: a webhook send left in doubt (webhooks can't read the channel
  back) is sent again; without it such a send is reported and never resent.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import SecretStr

from adapters.registry import ChatAdapters
from bot.chat import Target, parse_target
from bot.cli.app import app, fail, open_core, out, run, setup_logging, stored_digest
from bot.cli.service_cmds import daily_scheduler
from bot.dates import LATEST, parse_date
from bot.filters import wanted_categories
from bot.models import Subscription
from bot.publish import BUSY, Mode, PublishReport, publish
from bot.settings import Settings, get_settings


def with_typed_webhooks(settings: Settings, targets: list[Target]) -> Settings:
    """`settings` knowing the webhook URLs typed on the command line, by webhook id (the
    name the ledger and the output use): for this process only, never stored."""
    typed = {t.channel: SecretStr(t.webhook_url) for t in targets if t.webhook_url}
    if not typed:
        return settings
    return settings.model_copy(update={"discord_webhooks": settings.discord_webhooks | typed})


def print_report(report: PublishReport) -> None:
    for c in report.channels:
        thread = f" (thread {c.thread})" if c.thread not in ("", "1") else ""
        if c.status == "done":
            extra = [f"{c.already} already there"] if c.already else []
            if c.settled:
                extra.append(f"{c.settled} found after an interruption")
            if c.detail:
                extra.append(c.detail)
            note = f" ({', '.join(extra)})" if extra else ""
            out.print(f"[green]✓[/] {c.target}{thread}: {c.sent} of {c.total} messages sent"
                      f"{note}")
        elif c.status == "busy" and c.detail == BUSY:
            out.print(f"[yellow]…[/] {c.target}{thread}: {BUSY}")
        elif c.status in ("refused", "in-doubt"):
            out.print(f"[red]✗[/] {c.detail}", markup=True, highlight=False)
        else:
            out.print(f"[red]✗[/] {c.target}{thread}: {c.status}: {c.detail}")


@app.command("post")
def post_command(
    to: Annotated[list[str] | None, typer.Option(
        "--to", "-t", help="Where: platform:CHANNEL (slack:C0123, discord:1234, "
        "webhook:default, console:-). Repeat for several channels.")] = None,
    date: Annotated[str, typer.Option("--date", "-d", help="YYYY-MM-DD, yesterday or latest.")
                    ] = LATEST,
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", help="Only these arXiv categories (cs.CV, stat.ML, cs...).")] = None,
    again: Annotated[bool, typer.Option(
        "--again", help="Post this view as a new thread, even where the day is posted.")
                     ] = False,
    force: Annotated[bool, typer.Option("--force", hidden=True,
                                        help="The old name of --again.")] = False,
    subscribed: Annotated[bool, typer.Option(
        "--subscribed", help="Every subscribed channel with its own view, as the daily "
        "run posts it.")] = False,
    resend_in_doubt: Annotated[bool, typer.Option(
        "--resend-in-doubt", help="Send again what a webhook may or may not have posted.")
                               ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every message.")] = False,
) -> None:
    """Post a digest to chat channels now: the parent message, then one reply per paper
    in its thread. Recorded in the delivery ledger: running it again never posts twice."""
    if force:
        out.print("(--force is now called --again)", markup=False)
        again = True
    if subscribed and (to or category or again):
        fail("--subscribed posts every subscribed channel with its own view; leave out "
             "--to, --category and --again (or post to channels with --to instead)")
    if not subscribed and not to:
        fail("say where: --to slack:C0123 (repeat for more), or --subscribed for every "
             "subscribed channel")
    settings = get_settings()
    targets = [parse_target(t, settings) for t in to or ()]
    categories = tuple(category or ())
    if categories:
        wanted_categories(categories)
    setup_logging(verbose)
    if subscribed:
        report = run(_post_subscribed(date))
    else:
        report = run(_post(targets, date, categories, Mode.AGAIN if again else Mode.POST,
                           resend_in_doubt))
    print_report(report)
    if not report.complete or report.count("paused") or report.count("refused"):
        raise typer.Exit(1)


async def _post(targets: list[Target], date_text: str, categories: tuple[str, ...],
                mode: Mode, resend_in_doubt: bool) -> PublishReport:
    async with open_core() as core:
        digest = await stored_digest(core.store, date_text)
        pool = ChatAdapters(with_typed_webhooks(core.settings, targets))
        try:
            adapters = await pool.for_platforms({t.platform for t in targets})
            if pool.unavailable:
                platform, reason = next(iter(pool.unavailable.items()))
                fail(f"cannot post to {platform}: {reason}")
            if pool.unreachable:
                platform, reason = next(iter(pool.unreachable.items()))
                fail(f"cannot post to {platform} now: {reason}", code=1)
            subs = []
            for platform, channel in dict.fromkeys((t.platform, t.channel) for t in targets):
                known = await core.store.get_subscription(platform, channel)
                subs.append(Subscription(
                    platform=platform, channel=channel, categories=categories,
                    workspace=known.workspace if known else ""))
            return await publish(core.store, adapters, digest, subs, mode=mode,
                                 resend_in_doubt=resend_in_doubt,
                                 lease_ttl=core.settings.lease_seconds,
                                 public_url=core.settings.public_url)
        finally:
            await pool.close()


async def _post_subscribed(date_text: str) -> PublishReport:
    parsed = parse_date(date_text)
    async with open_core() as core:
        latest = await core.store.latest_date() if parsed == LATEST else None
        if isinstance(parsed, str) and latest is None:
            fail("no digest stored yet; say which day: --date YYYY-MM-DD")
        day = latest if isinstance(parsed, str) else parsed
        assert day is not None
        async with daily_scheduler(core) as scheduler:
            outcome, report = await scheduler.post_date(day)
        out.print(f"{outcome.digest_date}: {outcome.status}", markup=False)
        if report is None:  # arXiv announced nothing that day
            return PublishReport(day.isoformat(), ())
        return report
