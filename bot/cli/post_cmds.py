"""`hotpapers post`: post one stored digest to chat channels now (a one-off, recorded in
the delivery ledger like the daily post, so running it again finishes what is missing
and never posts twice; `--force` posts again)."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import SecretStr

from adapters.registry import ChatAdapters
from bot.chat import Target, parse_target
from bot.cli.app import app, fail, open_core, out, run, setup_logging, stored_digest
from bot.dates import LATEST
from bot.filters import wanted_categories
from bot.models import Subscription
from bot.publish import PublishReport, publish
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
        if c.status == "done":
            extra = [f"{c.already} already there"] if c.already else []
            if c.settled:
                extra.append(f"{c.settled} found after an interruption")
            note = f" ({', '.join(extra)})" if extra else ""
            out.print(f"[green]✓[/] {c.target}: {c.sent} of {c.total} messages sent{note}")
        else:
            out.print(f"[red]✗[/] {c.target}: {c.status}: {c.detail}")


@app.command("post")
def post_command(
    to: Annotated[list[str], typer.Option(
        "--to", "-t", help="Where: platform:CHANNEL (slack:C0123, discord:1234, "
        "webhook:default, console:-). Repeat for several channels.")],
    date: Annotated[str, typer.Option("--date", "-d", help="YYYY-MM-DD, yesterday or latest.")
                    ] = LATEST,
    category: Annotated[list[str] | None, typer.Option(
        "--category", "-c", help="Only these arXiv categories (cs.CV, stat.ML, cs...).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Post again even if already posted.")
                     ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every message.")] = False,
) -> None:
    """Post a stored digest to chat channels now: the parent message, then one reply
    per paper in its thread."""
    settings = get_settings()
    targets = [parse_target(t, settings) for t in to]
    categories = tuple(category or ())
    if categories:
        wanted_categories(categories)
    setup_logging(verbose)
    report = run(_post(targets, date, categories, force))
    print_report(report)
    if not report.complete or report.count("paused"):
        raise typer.Exit(1)


async def _post(targets: list[Target], date_text: str, categories: tuple[str, ...],
                force: bool) -> PublishReport:
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
            return await publish(core.store, adapters, digest, subs, force=force,
                                 public_url=core.settings.public_url)
        finally:
            await pool.close()
