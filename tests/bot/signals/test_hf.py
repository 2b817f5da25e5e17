"""Hugging Face daily papers against the local fake: per-day requests, paging, dedupe."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.errors import SourceUnavailable
from bot.retry import RetryPolicy
from bot.signals.hf import HuggingFace
from tests.fakes.social_corpus import Corpus, FakePost
from tests.fakes.social_servers import SocialServers, collect, day_window, paper_ids_for

DAY = dt.date(2021, 8, 6)
START, END = day_window(DAY)
FAST = RetryPolicy(attempts=3, backoff=0.01, timeout=2.0)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def corpus(n: int) -> Corpus:
    data = Corpus.generate(paper_ids_for(DAY, 400), n, START, END, shares={"hf": 1.0})
    other_day = Corpus.generate(paper_ids_for(DAY, 400), 30, END, END + dt.timedelta(days=1),
                                seed=3, shares={"hf": 1.0})
    data.extend(other_day.of("hf"))
    return data


async def test_one_request_per_day_when_the_day_fits_a_page(
    session: aiohttp.ClientSession,
) -> None:
    data = corpus(60)
    async with SocialServers(data).running() as fake:
        got = await collect(HuggingFace(session, fake.url("hf"), retry=FAST), START, END)
        assert [e.query["date"] for e in fake.requests("hf")] == ["2021-08-06"]
    expected = data.expected("hf", START, END)
    assert {m.url for m in got} == set(expected) and len(got) == 60
    for m in got:
        post = expected[m.url]
        assert m.arxiv_ids == (post.post_id,) and m.likes == post.likes and m.reposts == 0
        assert m.url == f"https://huggingface.co/papers/{post.post_id}"


async def test_pages_with_p_and_limit_and_covers_every_day_of_the_window(
    session: aiohttp.ClientSession,
) -> None:
    data = corpus(250)
    start, end = START + dt.timedelta(hours=20), END + dt.timedelta(hours=6)  # two UTC days
    async with SocialServers(data).running() as fake:
        got = await collect(HuggingFace(session, fake.url("hf"), retry=FAST), start, end)
        asked = [(e.query["date"], e.query["p"]) for e in fake.requests("hf")]
        assert asked == [("2021-08-06", "0"), ("2021-08-06", "1"), ("2021-08-06", "2"),
                         ("2021-08-07", "0")]
        assert len(asked) == fake.min_requests("hf", start, end)
    expected = data.expected("hf", start, end)  # papers on both days count once
    assert {m.url for m in got} == set(expected)
    assert len(got) == len(expected) > 250


async def test_a_paper_listed_on_two_days_counts_once_and_bad_ids_are_dropped(
    session: aiohttp.ClientSession,
) -> None:
    data = Corpus()
    for day, pid in ((START, "2108.02774"), (END, "2108.02774"), (START, "not-an-id")):
        data.add(FakePost("hf", pid, day + dt.timedelta(hours=1), "ak", "t",
                          (f"https://arxiv.org/abs/{pid}",), (pid,), likes=5))
    async with SocialServers(data).running() as fake:
        hf = HuggingFace(session, fake.url("hf"), retry=FAST)
        got = await collect(hf, START, END + dt.timedelta(days=1))
    assert [m.url for m in got] == ["https://huggingface.co/papers/2108.02774"]


async def test_429_then_5xx_then_success(session: aiohttp.ClientSession) -> None:
    data = corpus(10)
    async with SocialServers(data).running() as fake:
        fake.fail("hf", 429, retry_after="0.2")
        fake.fail("hf", 502)
        hf = HuggingFace(session, fake.url("hf"), retry=FAST)
        got = await collect(hf, START, END)
        assert [e.status for e in fake.requests("hf")] == [429, 502, 200]
        assert hf.fetcher.waited >= 0.2
    assert len(got) == 10


async def test_permanent_failure_and_refusal_raise_source_unavailable(
    session: aiohttp.ClientSession,
) -> None:
    async with SocialServers(corpus(10)).running() as fake:
        fake.fail("hf", 503, times=3)
        with pytest.raises(SourceUnavailable, match=r"^hf: .*failed after 3 tries \(HTTP 503\)"):
            await collect(HuggingFace(session, fake.url("hf"), retry=FAST), START, END)
        fake.fail("hf", 404)
        with pytest.raises(SourceUnavailable, match=r"^hf: .*refused .*HTTP 404"):
            await collect(HuggingFace(session, fake.url("hf"), retry=FAST), START, END)
