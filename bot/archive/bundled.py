"""The sample digest shipped in the package (the user's 2021-08-06 post, clean UTF-8):
loaded into an empty store so `hotpapers digest 2021-08-06` works on a fresh clone."""

from __future__ import annotations

from importlib import resources

from bot.archive.parse import parse_post
from bot.models import Digest
from bot.store import Store

SAMPLE_FILE = "2021-08-06---Hot-Papers.md"


def sample_digest() -> Digest:
    text = (resources.files("bot") / "data" / SAMPLE_FILE).read_text(encoding="utf-8")
    return parse_post(text, f"bot/data/{SAMPLE_FILE}")


async def ensure_sample(store: Store) -> bool:
    """Load the sample when the store holds no digest at all; True when it did."""
    if await store.latest_date() is not None:
        return False
    await store.save_digest(sample_digest())
    return True
