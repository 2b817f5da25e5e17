"""Chat input is bounded (issue 13: `/hot 2021-08-06 cs.CV cs.CV ...` 700 times posted a
parent of 3,000 characters of "cs.CV, cs.CV"; the same /hot repeated posted a new public
thread each time, without any throttle)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.core import Core
from bot.models import Answer, Command
from bot.settings import Settings
from bot.store import Store
from tests import factories

DAY = dt.date(2021, 8, 6)
MANY = ("cs.AI cs.CL cs.CV cs.LG cs.RO cs.NE cs.IR cs.CR cs.DS cs.DB cs.SE cs.PL cs.NI cs.HC "
        "cs.GT cs.MA cs.SD cs.SI cs.SY cs.CY cs.DC").split()  # 21 categories


async def make_core(store: Store, **settings: object) -> Core:
    await store.save_digest(factories.digest(DAY))
    return Core(Settings(**settings), store)  # type: ignore[arg-type]


@pytest.fixture
async def core(sqlite_store: Store) -> AsyncIterator[Core]:
    yield await make_core(sqlite_store)


def cmd(text: str, *, user: str = "U1", channel: str = "C1", manage: bool = True) -> Command:
    return Command(name="hot", args=tuple(text.split()), platform="slack", channel=channel,
                   workspace="T1", user=user, can_manage_channel=manage)


async def ask(core: Core, text: str, **kw: object) -> Answer:
    return await core.answer(cmd(text, **kw))  # type: ignore[arg-type]


def one_line_error(answer: Answer) -> str:
    assert answer.is_error and answer.ephemeral and answer.digest is None, answer
    assert "\n" not in answer.text and len(answer.text) < 300, answer.text
    return answer.text


async def test_repeated_categories_count_once(core: Core) -> None:
    answer = await ask(core, "2021-08-06 cs.CV CS.cv cs.CV cs.LG cs.CV")
    assert answer.digest is not None
    assert answer.digest.categories_filter == ("cs.CV", "cs.LG")
    assert answer.text == "Hot Papers 2021-08-06: 3 papers in cs.CV, cs.LG"


async def test_text_over_500_characters_is_refused_in_one_line(core: Core) -> None:
    text = "2021-08-06 " + " ".join(["cs.CV"] * 700)
    assert "500 characters" in one_line_error(await ask(core, text))
    exactly = "2021-08-06 cs.CV" + " " * 0 + " cs.CV" * ((500 - 16) // 6)
    assert len(exactly) <= 500 and (await ask(core, exactly)).digest is not None


async def test_more_than_20_categories_are_refused(core: Core) -> None:
    assert "at most 20 categories" in one_line_error(await ask(core, "2021-08-06 " +
                                                                " ".join(MANY)))
    assert (await ask(core, "2021-08-06 " + " ".join(MANY[:20]))).digest is not None
    assert "at most 20 categories" in one_line_error(await ask(core, "subscribe " +
                                                                " ".join(MANY)))
    assert not (await ask(core, "subscribe " + " ".join(MANY[:15]))).is_error
    assert "at most 20 categories" in one_line_error(await ask(core, "subscribe " +
                                                                " ".join(MANY[10:])))
    sub = await core.store.get_subscription("slack", "C1")
    assert sub is not None and len(sub.categories) == 15


async def test_the_same_view_again_within_10_minutes_links_the_thread(core: Core) -> None:
    first = await ask(core, "2021-08-06 cs.CV")
    assert first.digest is not None
    while_posting = await ask(core, "2021-08-06 cs.cv", user="U2")
    assert while_posting.digest is None and "being posted" in while_posting.text
    core.thread_posted(first, "https://chat.example/thread/1")
    again = await ask(core, "2021-08-06 cs.CV", user="U3")
    assert again.digest is None and again.ephemeral and not again.is_error
    assert "https://chat.example/thread/1" in again.text and "\n" not in again.text
    # another view, another channel, another day: a new thread
    assert (await ask(core, "2021-08-06 cs.LG")).digest is not None
    assert (await ask(core, "2021-08-06 cs.CV", channel="C2")).digest is not None
    assert (await ask(core, "2021-08-06")).digest is not None


async def test_a_failed_post_can_be_asked_again_and_the_window_ends(sqlite_store: Store) -> None:
    core = await make_core(sqlite_store, repeat_window=0.3)
    first = await ask(core, "2021-08-06")
    core.thread_failed(first)
    second = await ask(core, "2021-08-06")
    assert second.digest is not None
    core.thread_posted(second, "https://chat.example/t/2")
    assert (await ask(core, "2021-08-06")).digest is None
    await asyncio.sleep(0.35)
    assert (await ask(core, "2021-08-06")).digest is not None


async def test_per_user_and_per_channel_limits(sqlite_store: Store) -> None:
    core = await make_core(sqlite_store, command_limit_user="3/minute",
                           command_limit_channel="5/minute")
    for _ in range(3):
        assert not (await ask(core, "help")).is_error
    refused = one_line_error(await ask(core, "help"))
    assert "at most 3 commands per minute" in refused and "try again in" in refused
    assert not (await ask(core, "help", user="U2")).is_error  # others still may
    assert not (await ask(core, "help", user="U3")).is_error
    refused = one_line_error(await ask(core, "help", user="U4"))
    assert "this channel" in refused and "at most 5 commands per minute" in refused
    assert not (await ask(core, "help", user="U4", channel="C2")).is_error


async def test_a_channel_id_from_chat_is_checked_like_a_cli_target(core: Core) -> None:
    bad = Command(name="hot", args=("subscribe", "cs.CV"), platform="slack", channel="C1 C2",
                  workspace="T1", user="U1", can_manage_channel=True)
    assert "not a Slack channel id" in one_line_error(await core.answer(bad))
    assert await core.store.list_subscriptions() == []
