"""The platform-neutral command grammar (`/hot ...`), answered against a real store."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.core import Core
from bot.models import Answer, BuildResult, Command
from bot.settings import Settings
from bot.store import Store
from tests import factories

DAY = dt.date(2021, 8, 6)


@pytest.fixture
async def core(sqlite_store: Store) -> AsyncIterator[Core]:
    await sqlite_store.save_digest(factories.digest(DAY))
    await sqlite_store.save_digest(factories.digest(dt.date(2021, 8, 9)))
    yield Core(Settings(), sqlite_store)


def cmd(text: str, name: str = "hot", manage: bool = True, channel: str = "C1") -> Command:
    return Command(name=name, args=tuple(text.split()), platform="slack", channel=channel,
                   workspace="T1", user="U1", can_manage_channel=manage)


async def ask(core: Core, text: str, **kw: object) -> Answer:
    return await core.answer(cmd(text, **kw))  # type: ignore[arg-type]


async def test_latest_and_dated(core: Core) -> None:
    a = await ask(core, "")
    assert a.digest is not None and a.digest.date == dt.date(2021, 8, 9) and not a.ephemeral
    a = await ask(core, "2021-08-06")
    assert a.digest is not None and a.digest.date == DAY and len(a.digest.papers) == 5
    assert a.text == "Hot Papers 2021-08-06: 5 papers"


async def test_categories_filter_and_all(core: Core) -> None:
    a = await ask(core, "2021-08-06 cs.CL stat.ML")
    assert a.digest is not None
    assert [p.paper.arxiv_id for p in a.digest.papers] == ["2108.00003", "2108.00005"]
    assert a.digest.categories_filter == ("cs.CL", "stat.ML")


async def test_subscription_drives_plain_hot_but_not_all(core: Core) -> None:
    a = await ask(core, "subscribe cs.CL")
    assert a.ephemeral and "cs.CL" in a.text and not a.is_error
    a = await ask(core, "2021-08-06")
    assert a.digest is not None and [p.rank for p in a.digest.papers] == [1]
    a = await ask(core, "2021-08-06 all")
    assert a.digest is not None and len(a.digest.papers) == 5
    other = await ask(core, "2021-08-06", channel="C2")
    assert other.digest is not None and len(other.digest.papers) == 5


async def test_subscribe_merge_filters_unsubscribe(core: Core) -> None:
    await ask(core, "subscribe cs.LG")
    a = await ask(core, "subscribe stat.ML cs.NA keyword:diffusion min:100 max:5")
    assert a.text == ("This channel now gets the daily Hot Papers for cs.LG, stat.ML, math.NA "
                      "(keywords: diffusion; min score 100; at most 5 papers).")
    sub = await core.store.get_subscription("slack", "C1")
    assert sub is not None and sub.categories == ("cs.LG", "stat.ML", "math.NA")
    a = await ask(core, "unsubscribe cs.LG")
    assert "stat.ML, math.NA" in a.text
    a = await ask(core, "unsubscribe cs.CV")
    assert a.is_error and "doesn't follow cs.CV" in a.text
    a = await ask(core, "subscriptions")
    assert a.text.startswith("This channel gets the daily Hot Papers for stat.ML, math.NA")
    a = await ask(core, "unsubscribe")
    assert a.text == "This channel no longer gets the daily Hot Papers."
    assert await core.store.get_subscription("slack", "C1") is None


async def test_discord_style_commands_and_permission(core: Core) -> None:
    a = await ask(core, "cs.CV", name="subscribe", manage=False)
    assert a.is_error and a.ephemeral and "Only the people who manage this channel" in a.text
    assert await core.store.get_subscription("slack", "C1") is None
    said = dataclasses.replace(cmd("cs.CV", name="unsubscribe", manage=False),
                               denied="Needs Manage Channels.")
    assert (await core.answer(said)).text == "Needs Manage Channels."
    a = await ask(core, "cs.CV", name="subscribe")
    assert not a.is_error
    a = await ask(core, "", name="subscriptions")
    assert "cs.CV" in a.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-13-45", "not a real date"),
        ("2021-08-07", "nearest: 2021-08-06 and 2021-08-09"),
        ("2021-08-06 cs.XX", "Did you mean"),
        ("frobnicate", "/hot help"),
        ("subscribe keyword:", "has no value"),
        ("subscribe min:lots", "whole number"),
        ("subscribe colour:red", "Unknown filter"),
        ("2099-01-01", "in the future"),
        ("2021-08-06 2021-08-09", "Two dates"),
    ],
)
async def test_bad_input_gets_one_line(core: Core, text: str, expected: str) -> None:
    a = await ask(core, text)
    assert a.is_error and a.ephemeral and a.digest is None
    assert expected in a.text and "\n" not in a.text


async def test_empty_view_is_explained(core: Core) -> None:
    a = await ask(core, "2021-08-06 astro-ph.CO")
    assert a.digest is None and a.ephemeral and "full digest has 5 papers" in a.text


async def test_help_and_categories(core: Core) -> None:
    assert "/hot subscribe" in (await ask(core, "help")).text
    a = await ask(core, "categories vision")
    assert a.text == "`cs.CV` Computer Vision and Pattern Recognition"


async def test_on_demand_build_is_used_for_missing_days(core: Core) -> None:
    built: list[dt.date] = []

    async def builder(_store: Store, day: dt.date) -> BuildResult:
        built.append(day)
        d = factories.digest(day)
        await core.store.save_digest(d)
        return BuildResult(d, ("built from Hacker News, Hugging Face",))

    core.builder = builder
    a = await ask(core, "2021-08-10")
    assert built == [dt.date(2021, 8, 10)] and a.digest is not None
    assert a.notes == ("built from Hacker News, Hugging Face",)
    a = await ask(core, "2021-08-10")  # stored now: no second build
    assert built == [dt.date(2021, 8, 10)]


async def test_failed_build_names_nearest_dates(core: Core) -> None:
    async def builder(_store: Store, day: dt.date) -> BuildResult:
        raise RuntimeError("arXiv unreachable")

    core.builder = builder
    a = await ask(core, "2021-08-05")
    assert a.is_error and "nearest: 2021-08-06 and 2021-08-09" in a.text
    assert "building it failed: arXiv unreachable" in a.text
    a = await ask(core, "2021-08-07")  # a Saturday: the calendar says why
    assert a.is_error and "arXiv announces nothing on Saturdays" in a.text
