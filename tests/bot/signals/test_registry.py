"""make_sources: sources by name from the settings, skipped with a notice without
credentials, base URLs from HOTPAPERS_<SOURCE>_URL; all four against one fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.errors import UnknownSourceError
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.signals.base import SignalSource
from bot.signals.http import RateLimit
from bot.signals.registry import make_sources, source_name
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import SocialServers, collect, day_window, paper_ids_for

DAY = dt.date(2021, 8, 6)
START, END = day_window(DAY)
NOW = END + dt.timedelta(hours=1)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_without_credentials_bluesky_and_x_are_skipped_with_a_notice(
    session: aiohttp.ClientSession,
) -> None:
    sources, notices = make_sources(Settings(), session)
    assert [s.name for s in sources] == ["hn", "hf"]
    assert all(isinstance(s, SignalSource) for s in sources)
    assert len(notices) == 2 and all("\n" not in n for n in notices)
    assert notices[0].startswith("bluesky skipped")
    assert "HOTPAPERS_BLUESKY_APP_PASSWORD" in notices[0]
    assert notices[1].startswith("x skipped") and "HOTPAPERS_X_BEARER_TOKEN" in notices[1]
    half, notices = make_sources(Settings(bluesky_handle="me.bsky.social"), session, ["bluesky"])
    assert half == [] and len(notices) == 1


async def test_names_aliases_and_unknown_names(session: aiohttp.ClientSession) -> None:
    sources, notices = make_sources(Settings(), session, ["HF", "hackernews", "hn"])
    assert [s.name for s in sources] == ["hf", "hn"] and notices == []
    assert source_name("twitter") == "x" and source_name("bsky") == "bluesky"
    with pytest.raises(UnknownSourceError, match="unknown source 'reddit'; choose from hn, hf"):
        make_sources(Settings(), session, ["hn", "reddit"])


async def test_all_four_from_env_against_one_fake(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = Corpus.generate(paper_ids_for(DAY, 200), 1_500, START, END)
    async with SocialServers(data, now=NOW).running() as fake:
        for name in ("hn", "hf", "bluesky", "x"):
            monkeypatch.setenv(f"HOTPAPERS_{name.upper()}_URL", fake.url(name))
        monkeypatch.setenv("HOTPAPERS_BLUESKY_HANDLE", fake.bluesky_handle)
        monkeypatch.setenv("HOTPAPERS_BLUESKY_APP_PASSWORD", fake.bluesky_password)
        monkeypatch.setenv("HOTPAPERS_X_BEARER_TOKEN", fake.x_token)
        settings = Settings()
        assert fake.x_token not in repr(settings)
        sources, notices = make_sources(
            settings, session, retry=RetryPolicy(attempts=2, backoff=0.01),
            rates={"hn": RateLimit(5, 1)}, clock=lambda: NOW)
        assert notices == [] and [s.name for s in sources] == ["hn", "hf", "bluesky", "x"]
        for source in sources:
            got = await collect(source, START, END)
            assert {m.url for m in got} == set(data.expected(source.name, START, END)), source
            assert all(m.source == source.name and m.arxiv_ids for m in got)
        assert {e.source for e in fake.log} == {"hn", "hf", "bluesky", "x"}
        assert all(e.status == 200 for e in fake.log)
        assert {e.user_agent for e in fake.log} == {settings.user_agent}
