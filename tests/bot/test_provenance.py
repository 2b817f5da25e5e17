"""Which digest of a day wins, and the backoff of a day's next build."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.models import Digest
from bot.provenance import backoff, kept_line, replaces, summary
from bot.settings import Settings
from tests import factories


def made(status: str, sources: tuple[str, ...], failed: tuple[str, ...] = ()) -> Digest:
    return dataclasses.replace(factories.digest(), status=status, sources=sources,
                               failed_sources=failed, asked=sources + failed)


COMPLETE_2 = made("complete", ("hn", "hf"))
COMPLETE_1 = made("complete", ("hn",))
PARTIAL_1 = made("partial", ("hn",), ("hf",))
PARTIAL_3 = made("partial", ("x", "hn", "hf"), ("bluesky",))
IMPORTED = made("imported", ("x",))


@pytest.mark.parametrize(("new", "stored", "wins"), [
    (COMPLETE_1, None, True),
    (PARTIAL_1, None, True),
    (COMPLETE_2, COMPLETE_1, True),  # more sources answering
    (COMPLETE_1, COMPLETE_1, True),  # as good: the fresher counts win
    (COMPLETE_1, COMPLETE_2, False),  # fewer sources answering
    (PARTIAL_1, COMPLETE_1, False),  # less complete
    (COMPLETE_1, PARTIAL_1, True),
    (COMPLETE_2, PARTIAL_3, False),  # complete, but fewer answering than the partial had
    (COMPLETE_2, IMPORTED, False),  # the blog's own digest is authoritative
])
def test_what_may_replace_what(new: Digest, stored: Digest | None, wins: bool) -> None:
    assert replaces(new, stored) is wins


def test_backoff_doubles_per_build_that_fell_short_and_is_capped() -> None:
    s = Settings(build_retry_after=900, build_retry_max=3600)
    assert [backoff(s, n) for n in (1, 2, 3, 4, 9)] == [
        dt.timedelta(minutes=m) for m in (15, 30, 60, 60, 60)]


def test_one_line_summaries() -> None:
    assert summary(COMPLETE_2) == "5 papers, hn, hf"
    assert summary(PARTIAL_1) == "5 papers, hn; hf failed"
    assert summary(IMPORTED) == "5 papers, imported from the blog archive"
    assert kept_line(COMPLETE_1, "hn failed", usable=False) == (
        "2021-08-06 kept: the stored digest (5 papers, hn) is better than this build "
        "(hn failed)")
