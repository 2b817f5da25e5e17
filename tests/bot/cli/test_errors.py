"""The CLI turns every HotpapersError into one line and its exit code, in one place."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bot import errors
from bot.cli.app import OneLineErrors

CASES = [
    (errors.BadDateError("'2021-13-01' is not a real date; type YYYY-MM-DD"), 2),
    (errors.UnknownCategoryError("unknown category 'cs.XX'; did you mean cs.CV?"), 2),
    (errors.UsageError("'slack' is not a channel target; type slack:C0123"), 2),
    (errors.ConfigurationError("SLACK_BOT_TOKEN is missing; set it"), 2),
    (errors.ArxivUnavailable("arXiv is not answering (HTTP 503 after 5 attempts)"), 1),
    (errors.BuildError("cannot build 2021-08-09: arXiv failed"), 1),
    (errors.PermanentDeliveryError("slack: channel_not_found"), 1),
]


@pytest.mark.parametrize(("error", "code"), CASES, ids=[type(e).__name__ for e, _ in CASES])
def test_one_line_and_exit_code(error: errors.HotpapersError, code: int) -> None:
    app = typer.Typer(cls=OneLineErrors)

    @app.command()
    def boom() -> None:
        raise error

    @app.command()
    def other() -> None:  # two commands: typer makes a group
        pass

    result = CliRunner().invoke(app, ["boom"])
    assert result.exit_code == code
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: {error}"]
    assert "Traceback" not in result.output


def test_a_multi_line_message_is_cut_to_its_first_line() -> None:
    assert errors.SourceError("first line\nsecond line").one_line() == "first line"


def test_every_error_is_one_hierarchy() -> None:
    public = [getattr(errors, n) for n in errors.__all__]
    assert all(issubclass(cls, errors.HotpapersError) for cls in public)
    # user errors stay ValueErrors for code that validates with them
    assert issubclass(errors.BadDateError, ValueError)
    assert issubclass(errors.InDoubtDeliveryError, errors.TransientDeliveryError)
