"""The `hotpapers` command line (typer). Each group of commands lives in its own
module and registers itself on `app`; `main()` is the console script."""

from __future__ import annotations

from bot.cli import (  # noqa: F401  (each module registers its commands on `app`)
    archive_cmds,
    deliveries_cmds,
    digest_cmds,
    explain_cmds,
    jobs_cmds,
    live_cmds,
    post_cmds,
    serve_cmds,
    service_cmds,
    site_cmds,
    status_cmds,
)
from bot.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
