"""The sample digest shipped in the package (the user's 2021-08-06 post, clean UTF-8):
read-only demo data. `hotpapers digest 2021-08-06` on a fresh clone shows it, labelled
as the bundled sample, when the store has no digest of that day; it is never written
into a store (`Store.save_digest` refuses it), so a real store's "latest" is always a
real digest."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache
from importlib import resources

from bot.archive.parse import parse_post
from bot.models import SAMPLE, Digest

SAMPLE_FILE = "2021-08-06---Hot-Papers.md"
SAMPLE_DATE = dt.date(2021, 8, 6)


def sample_path() -> str:
    """Where the sample post lives in the installed package (for `hotpapers import`)."""
    return str(resources.files("bot") / "data" / SAMPLE_FILE)


@cache
def sample_digest() -> Digest:
    text = (resources.files("bot") / "data" / SAMPLE_FILE).read_text(encoding="utf-8")
    return replace(parse_post(text, f"bot/data/{SAMPLE_FILE}"), status=SAMPLE)
