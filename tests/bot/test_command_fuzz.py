"""Hypothesis against the chat grammar: any words, from any user, in any channel, get an
answer (never an exception); an error is one line; nothing stored breaks the bounds."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import Core
from bot.guard import MAX_CATEGORIES, MAX_FILTER_VALUES
from bot.models import Command
from bot.settings import Settings
from bot.store import Store
from tests import factories

WORDS = ["subscribe", "unsubscribe", "subscriptions", "help", "categories", "all", "latest",
         "yesterday", "today", "2021-08-06", "2021-08-09", "2021-13-45", "2999-01-01", "cs",
         "cs.CV", "cs.cv", "cs.LG", "stat.ML", "math.NA", "cs.NA", "cs.XX", "keyword:diffusion",
         "-keyword:", "author:Doe", "-author:Ada", "min:10", "min:x", "max:3", "max:0",
         "min:99999999999", "min:²", "max:٣", "frob:1", ":", "hot", "/hot", "<@U0BOT>", "`",
         "*", "\u200b"]
word = st.sampled_from(WORDS) | st.text(min_size=1, max_size=30).filter(lambda w: not
                                                                         w.isspace())
command = st.builds(
    lambda name, words, user, channel, manage: Command(
        name=name, args=tuple(w for part in words for w in part.split()), platform="slack",
        channel=channel, workspace="T1", user=user, can_manage_channel=manage),
    st.sampled_from(["hot", "subscribe", "unsubscribe", "subscriptions", "HOT", "nope"]),
    st.lists(word, max_size=12), st.sampled_from(["U1", "U2"]),
    st.sampled_from(["C1", "C2"]), st.booleans())


@pytest.fixture
async def core(sqlite_store: Store) -> AsyncIterator[Core]:
    await sqlite_store.save_digest(factories.digest(dt.date(2021, 8, 6)))
    await sqlite_store.save_digest(factories.digest(dt.date(2021, 8, 9)))
    yield Core(Settings(command_limit_user="100000/minute",
                        command_limit_channel="100000/minute"), sqlite_store)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(cmd=command)
async def test_any_command_gets_an_answer_and_errors_are_one_line(core: Core,
                                                                  cmd: Command) -> None:
    answer = await core.answer(cmd)
    assert answer.text.strip()
    if answer.is_error:
        assert "\n" not in answer.text and len(answer.text) < 600, answer.text
        assert answer.ephemeral and answer.digest is None
    if answer.digest is not None:
        assert len(answer.digest.categories_filter) == len(set(answer.digest.categories_filter))
        assert len(answer.digest.categories_filter) <= MAX_CATEGORIES
        core.thread_posted(answer, "https://chat.example/t")
    for sub in await core.store.list_subscriptions():
        assert len(sub.categories) <= MAX_CATEGORIES
        assert len(set(sub.categories)) == len(sub.categories)
        for values in (sub.include_keywords, sub.exclude_keywords, sub.include_authors,
                       sub.exclude_authors):
            assert len(values) <= MAX_FILTER_VALUES
