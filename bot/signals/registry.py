"""Build the social sources by name from the settings.

    sources, notices = make_sources(settings, session)             # all four
    sources, notices = make_sources(settings, session, ["hn", "hf"])

A source whose credentials are not configured is left out with a one-line notice
(Bluesky: HOTPAPERS_BLUESKY_HANDLE + HOTPAPERS_BLUESKY_APP_PASSWORD; X:
HOTPAPERS_X_BEARER_TOKEN). An unknown name raises `UnknownSourceError` whose message
lists the known ones. Base URLs come from the settings (`HOTPAPERS_<SOURCE>_URL`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import aiohttp

from bot.errors import UnknownSourceError
from bot.retry import RetryNotice, RetryPolicy
from bot.settings import Settings
from bot.signals import bluesky, hf, hn, x
from bot.signals.base import SignalSource
from bot.signals.bluesky import Bluesky
from bot.signals.hf import HuggingFace
from bot.signals.hn import HackerNews
from bot.signals.http import RateLimit
from bot.signals.x import XRecentSearch, utc_now

SOURCE_NAMES = ("hn", "hf", "bluesky", "x")
ALIASES = {
    "hackernews": "hn", "hacker-news": "hn", "huggingface": "hf", "hugging-face": "hf",
    "bsky": "bluesky", "twitter": "x",
}
HISTORY_SOURCES = ("hn", "hf")
# The services' documented limits, which the clients keep to.
DEFAULT_RATES: dict[str, RateLimit] = {
    "hn": hn.RATE, "hf": hf.RATE, "bluesky": bluesky.RATE, "x": x.RATE,
}  # the ones that can answer for any past day


def source_name(name: str) -> str:
    """The canonical key of a source name as a user types it (`HN`, `twitter`, ...)."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in SOURCE_NAMES:
        raise UnknownSourceError(
            f"unknown source '{name}'; choose from {', '.join(SOURCE_NAMES)} "
            "(for example --sources hn,hf)"
        )
    return key


def make_sources(
    settings: Settings,
    session: aiohttp.ClientSession,
    names: Sequence[str] | None = None,
    *,
    retry: RetryPolicy | None = None,
    rates: Mapping[str, RateLimit] | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    notice: RetryNotice | None = None,
) -> tuple[list[SignalSource], list[str]]:
    """The sources named (default: all four) and the notices about the ones skipped.

    `retry`, `rates` (per source name) and `clock` (X's "now") override the defaults,
    for tests and benchmarks (default retry: `settings.source_attempts` tries per
    request); `notice` gets each retry as one line (a progress display).
    """
    wanted = list(dict.fromkeys(source_name(n) for n in (names or SOURCE_NAMES)))
    rates = rates or {}
    retry = retry or RetryPolicy(attempts=settings.source_attempts)
    sources: list[SignalSource] = []
    notices: list[str] = []

    agent = settings.user_agent
    for name in wanted:
        rate = rates.get(name, DEFAULT_RATES[name])
        if name == "hn":
            sources.append(HackerNews(session, settings.hn_url, rate=rate, retry=retry,
                                      user_agent=agent, notice=notice))
        elif name == "hf":
            sources.append(HuggingFace(session, settings.hf_url, rate=rate, retry=retry,
                                       user_agent=agent, notice=notice))
        elif name == "bluesky":
            password = settings.bluesky_app_password
            if not settings.bluesky_handle or password is None or not password.get_secret_value():
                notices.append("bluesky skipped: set HOTPAPERS_BLUESKY_HANDLE and "
                               "HOTPAPERS_BLUESKY_APP_PASSWORD (an app password) to count it")
                continue
            sources.append(Bluesky(session, settings.bluesky_handle, password,
                                   settings.bluesky_url, rate=rate, retry=retry,
                                   user_agent=agent, notice=notice))
        else:
            token = settings.x_bearer_token
            if token is None or not token.get_secret_value():
                notices.append("x skipped: set HOTPAPERS_X_BEARER_TOKEN (an X API v2 bearer "
                               "token with recent search) to count it")
                continue
            sources.append(XRecentSearch(session, token, settings.x_url, rate=rate,
                                         retry=retry, user_agent=agent, clock=clock,
                                         notice=notice))
    return sources, notices
