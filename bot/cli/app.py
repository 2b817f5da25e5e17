"""The typer application and the helpers every command module shares.

Errors: every `bot.errors.HotpapersError` that reaches a command becomes ONE line on
stderr and the error's exit code (2: input or configuration the user can fix, 1: the
outside world failed), here and nowhere else (`OneLineErrors`); a setting that doesn't
parse is such an error (`bot.settings.get_settings`). Commands raise; they don't format
errors themselves. Error lines and every log line pass through `bot.redact`: no
configured secret, and nothing shaped like a token or a webhook URL, is ever printed."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from bot.core import Core
from bot.dates import LATEST, parse_date
from bot.errors import HotpapersError
from bot.models import Digest
from bot.redact import RedactSecrets, redact
from bot.retry import RetryNotice
from bot.settings import get_settings, secret_values
from bot.store import Store

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def configured_secrets() -> tuple[str, ...]:
    """The secret values of the settings (none when the settings don't load)."""
    try:
        return secret_values(get_settings())
    except HotpapersError:
        return ()


def print_error(message: str) -> None:
    message = escape(redact(message, configured_secrets()))
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)


class OneLineErrors(TyperGroup):
    """The one place a `HotpapersError` becomes a line on stderr and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # a click Context
        try:
            return super().invoke(ctx)
        except HotpapersError as exc:
            print_error(exc.one_line())
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=OneLineErrors,
    name="hotpapers",
    help="Hot Papers: the arXiv papers everyone is talking about, posted to Discord and Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

T = TypeVar("T")


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Plain log lines, one per record, to whatever `sys.stderr` is at the time."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                            "%Y-%m-%d %H:%M:%S"))

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def setup_logging(verbose: bool) -> None:
    """Log lines to stderr: rich on a terminal; one plain line per record otherwise (a
    supervisor's log, a file), so a record is never wrapped over several lines. `verbose`
    shows every message as it goes."""
    from rich.logging import RichHandler

    handler: logging.Handler = RichHandler(console=err, show_path=False, markup=False) \
        if err.is_terminal else StderrHandler()
    handler.addFilter(RedactSecrets(configured_secrets))  # no secret in any log line
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(message)s",
        handlers=[handler], force=True,
    )
    for noisy in ("discord", "slack_sdk", "slack_bolt", "aiohttp.access", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error (never a traceback) and exit."""
    print_error(message)
    raise typer.Exit(code)


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        sys.exit(130)


@asynccontextmanager
async def open_core(*, with_builder: bool = False, notice: RetryNotice | None = None
                    ) -> AsyncIterator[Core]:
    """The core on the configured store. `with_builder` enables on-demand builds of
    past days from live sources (see `bot.on_demand`); `notice` gets each retry of
    their requests as one line."""
    settings = get_settings()
    builder = None
    session = None
    if with_builder:
        from bot.on_demand import on_demand_builder

        builder, session = await on_demand_builder(settings, notice=notice)
    try:
        core = await Core.open(settings, builder=builder)
    except Exception as exc:  # a bad URL or unreachable database: one line, no traceback
        if session is not None:
            await session.close()
        fail(f"cannot open the database ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
             "check HOTPAPERS_DATABASE_URL")
    try:
        yield core
    finally:
        await core.close()
        if session is not None:
            await session.close()


EMPTY_STORE = ("no digest stored yet: the daily post builds the first one; build one now "
               "with hotpapers build, or import the blog archive with hotpapers import PATH")
GET_ONE = ("build one with hotpapers build --date YYYY-MM-DD, or import the blog archive "
           "with hotpapers import PATH")


async def stored_digest(store: Store, word: str, *, get_one: str = GET_ONE) -> Digest:
    """The stored digest a user names (`2021-08-06`, `yesterday`, `latest`); exits with a
    one-line error naming the nearest stored dates, or saying how to `get_one`. (The
    bundled sample is not a stored digest: an empty store has none.)"""
    wanted = parse_date(word)
    if wanted == LATEST:
        latest = await store.latest_date()
        if latest is None:
            fail(f"no digest stored yet; {get_one}")
        wanted = latest
    assert isinstance(wanted, dt.date)
    digest = await store.get_digest(wanted)
    if digest is None:
        near = await store.nearest_dates(wanted, 2)
        if not near:
            fail(f"no digest for {wanted}, and none stored yet; {get_one}")
        fail(f"no digest for {wanted}; nearest stored: {' and '.join(map(str, near))} "
             f"(try --date {near[-1]})")
    return digest
