"""The one interface every social source implements."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.models import Mention


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The posts to count for announcement day `date`: posted in [start, end)."""

    date: dt.date
    start: dt.datetime
    end: dt.datetime


@runtime_checkable
class SignalSource(Protocol):
    name: str  # short key stored on mentions: "hn", "hf", "bluesky", "x"
    has_history: bool  # True when it can answer for any past window (HN, HF)

    def mentions(self, window: TimeWindow) -> AsyncIterator[Mention]:
        """Every post in the window that links at least one arXiv paper, once each."""
        ...
