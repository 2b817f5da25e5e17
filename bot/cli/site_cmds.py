"""`hotpapers site -o DIR`: the web archive as static files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.app import app, err, fail, open_core, out, run


@app.command("site")
def site(
    output: Annotated[Path, typer.Option("--output", "-o", help="folder to write the site to")],
    base_url: Annotated[str | None, typer.Option(
        help="where the site will be served, for the feeds' links (HOTPAPERS_PUBLIC_URL)"
    )] = None,
) -> None:
    """Write the web archive's pages and feeds as files, for a static host."""
    from bot.settings import get_settings
    from bot.web.export import export_site

    base = base_url or get_settings().public_url
    if not base or not base.startswith(("http://", "https://")):
        fail("the feeds need the site's address for their links; pass --base-url "
             "https://papers.example.org (or set HOTPAPERS_PUBLIC_URL)")
    if output.exists() and not output.is_dir():
        fail(f"{output} is a file; pass a folder to -o")

    async def go() -> str:
        async with open_core() as core:
            try:
                report = await export_site(core, core.settings, output, base.rstrip("/"))
            except OSError as exc:
                fail(f"cannot write to {output} ({exc.strerror or exc}); pass another folder")
        for line in report.skipped:
            err.print(f"skipped {line}", markup=False, highlight=False)
        return report.summary(output)

    out.print(run(go()), markup=False)
