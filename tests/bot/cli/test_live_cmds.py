"""`hotpapers build` as a user runs it: a real process talking to the fake arXiv and the
fake Hacker News / Hugging Face servers."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.digest import mention_window
from bot.store import Store
from tests.conftest import ROOT
from tests.fakes.arxiv_server import ArxivFake, make_day
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import SocialServers

DAY = dt.date(2021, 8, 6)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    papers = make_day(DAY, 60)
    arxiv = ArxivFake(papers=papers)
    await arxiv.start()
    w = mention_window(DAY)
    corpus = Corpus.generate([p.paper.arxiv_id for p in papers], 400, w.start, w.end, seed=5,
                             shares={"hn": 0.6, "hf": 0.4})
    async with SocialServers(corpus).running() as social:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("HOTPAPERS_",))}
        environ.update({
            "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
            "HOTPAPERS_ARXIV_API_URL": arxiv.url + "/api/query",
            "HOTPAPERS_ARXIV_RSS_URL": arxiv.url + "/rss/",
            "HOTPAPERS_ARXIV_OAI_URL": arxiv.url + "/oai",
            "HOTPAPERS_ARXIV_MIN_INTERVAL": "0",
            "HOTPAPERS_HN_URL": social.url("hn"),
            "HOTPAPERS_HF_URL": social.url("hf"),
            "HOTPAPERS_BLUESKY_URL": social.url("bluesky"),
            "HOTPAPERS_X_URL": social.url("x"),
            "COLUMNS": "120",
        })
        environ.pop("HOTPAPERS_X_BEARER_TOKEN", None)
        yield environ
    await arxiv.close()


async def hotpapers(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_build_stores_the_day_and_shows_progress_per_source(env: dict[str, str]) -> None:
    code, out, err = await hotpapers(env, "build", "--date", "2021-08-06", "--sources", "hn,hf")
    assert code == 0, err
    assert out.startswith("Hot Papers 2021-08-06: ")
    assert "stored (sources: Hacker News, Hugging Face)" in out
    assert "built 2021-08-06 from arXiv, Hacker News, Hugging Face: 60 papers listed" in out
    for stage in ("arxiv", "hn", "hf"):
        assert any(line.split()[:2] == [stage, "done"] for line in err.splitlines()
                   if len(line.split()) > 2), err
    store = await Store.open(env["HOTPAPERS_DATABASE_URL"])
    try:
        digest = await store.get_digest(DAY)
    finally:
        await store.close()
    assert digest is not None and digest.sources == ("hn", "hf")
    assert f"{len(digest.papers)} paper" in out.splitlines()[0]


async def test_missing_credentials_are_a_notice_not_an_error(env: dict[str, str]) -> None:
    code, _out, err = await hotpapers(env, "build", "--date", "2021-08-06")
    assert code == 0, err
    assert "x skipped: set HOTPAPERS_X_BEARER_TOKEN" in err
    assert "bluesky skipped" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2021-08-07", "--sources", "hn"], "nothing on Saturdays"),
        (["--date", "06/08/2021"], "type YYYY-MM-DD"),
        (["--date", "2021-08-06", "--sources", "hn,myspace"], "unknown source 'myspace'"),
        (["--date", "2999-01-01"], "in the future"),
    ],
)
async def test_bad_input_is_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    code, _out, err = await hotpapers(env, "build", *args)
    assert code != 0
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1


async def test_arxiv_down_fails_cleanly(env: dict[str, str]) -> None:
    env = dict(env, HOTPAPERS_ARXIV_API_URL="http://127.0.0.1:9/api/query",
               HOTPAPERS_ARXIV_RSS_URL="http://127.0.0.1:9/rss/",
               HOTPAPERS_ARXIV_OAI_URL="http://127.0.0.1:9/oai")
    code, _out, err = await hotpapers(env, "build", "--date", "2021-08-06", "--sources", "hn")
    assert code == 1 and "Traceback" not in err
    assert "error: cannot build 2021-08-06: the arXiv API is not answering" in err
    assert "OAI-PMH fallback failed too" in err
