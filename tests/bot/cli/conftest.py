"""CLI tests run commands in-process (typer's CliRunner): no log configuration may be left
over from another command's test (`-v` sets INFO for the whole process)."""

from __future__ import annotations

import logging

import pytest


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    logging.basicConfig(level=logging.WARNING, force=True)
