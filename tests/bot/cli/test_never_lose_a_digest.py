"""Issue 12, "Never lose a good digest": the measured cases, as a user meets them. Real
`hotpapers` processes against the fake arXiv and the fake social servers; a source is
"down" when its URL is a closed local port (connection refused)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.digest import mention_window
from bot.store import Store
from tests.conftest import ROOT
from tests.fakes.arxiv_server import ArxivFake, make_day
from tests.fakes.social_corpus import SOURCES, Corpus
from tests.fakes.social_servers import SocialServers
from tests.paths import SAMPLE_POST

DOWN = "http://127.0.0.1:9/"  # nothing listens there: connection refused
# announcement days of the fake arXiv (seeds keep their paper ids apart)
DAYS = {dt.date(2021, 8, 9): 1, dt.date(2021, 8, 12): 2, dt.date(2021, 8, 18): 3,
        dt.date(2021, 8, 26): 4}


@dataclass
class Env:
    vars: dict[str, str]
    arxiv: ArxivFake
    social: SocialServers

    def down(self, *names: str) -> dict[str, str]:
        """The environment with these services down (hn, hf, x, arxiv)."""
        env = dict(self.vars)
        for name in names:
            keys = (["HOTPAPERS_ARXIV_API_URL", "HOTPAPERS_ARXIV_RSS_URL",
                     "HOTPAPERS_ARXIV_OAI_URL"] if name == "arxiv"
                    else [f"HOTPAPERS_{name.upper()}_URL"])
            env.update(dict.fromkeys(keys, DOWN))
        return env

    async def stored(self, date: dt.date) -> tuple[int, tuple[str, ...], str] | None:
        """(papers, sources, status) of the stored digest of `date`."""
        store = await Store.open(self.vars["HOTPAPERS_DATABASE_URL"])
        try:
            d = await store.get_digest(date)
        finally:
            await store.close()
        return None if d is None else (len(d.papers), d.sources, getattr(d, "status", "?"))

    def social_requests(self, source: str) -> int:
        return len(self.social.requests(source))


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    papers = [p for day, seed in DAYS.items() for p in make_day(day, 40, seed=seed)]
    arxiv = ArxivFake(papers=papers)
    await arxiv.start()
    corpus = Corpus()
    for day, seed in DAYS.items():
        w = mention_window(day)
        ids = [p.paper.arxiv_id for p in papers if p.announced == day]
        one = Corpus.generate(ids, 500, w.start, w.end, seed=seed,
                              shares={"hn": 0.6, "hf": 0.4})
        for source in SOURCES:
            corpus.extend(one.of(source))
    social = SocialServers(corpus)
    async with social.running():
        environ = {k: v for k, v in os.environ.items() if not k.startswith("HOTPAPERS_")}
        environ.update({
            "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hp.db'}",
            "HOTPAPERS_ARXIV_API_URL": arxiv.url + "/api/query",
            "HOTPAPERS_ARXIV_RSS_URL": arxiv.url + "/rss/",
            "HOTPAPERS_ARXIV_OAI_URL": arxiv.url + "/oai",
            "HOTPAPERS_ARXIV_MIN_INTERVAL": "0.01",
            "HOTPAPERS_HN_URL": social.url("hn"),
            "HOTPAPERS_HF_URL": social.url("hf"),
            "HOTPAPERS_BLUESKY_URL": social.url("bluesky"),
            "HOTPAPERS_X_URL": social.url("x"),
            "HOTPAPERS_SOURCE_ATTEMPTS": "1",  # a source down fails at once
            "COLUMNS": "200",
        })
        yield Env(environ, arxiv, social)
    await arxiv.close()


async def hotpapers(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


def one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- 1. a build whose sources fail never overwrites a good digest ------------------------
async def test_a_failed_build_keeps_the_good_digest_and_exits_1(env: Env) -> None:
    day = dt.date(2021, 8, 26)
    code, out, err = await hotpapers(env.vars, "build", "--date", "2021-08-26", "--sources", "hn")
    assert code == 0, err
    good = await env.stored(day)
    assert good is not None and good[0] > 0 and good[1] == ("hn",)

    code, out, err = await hotpapers(env.down("hn"), "build", "--date", "2021-08-26",
                                     "--sources", "hn")
    assert code == 1, out + err
    assert one_error(err) == (f"error: 2021-08-26 kept: the stored digest ({good[0]} papers, "
                              "hn) is better than this build (hn failed)")
    assert await env.stored(day) == good
    code, out, err = await hotpapers(env.vars, "digest", "2021-08-26", "--no-build")
    assert code == 0 and f"{good[0]} papers" in out and "No paper got enough" not in out
    assert "could not be reached" not in out
    assert good[2] == "complete"


async def test_a_build_where_every_source_failed_stores_nothing(env: Env) -> None:
    code, out, err = await hotpapers(env.down("hn", "hf"), "build", "--date", "2021-08-26",
                                     "--sources", "hn,hf")
    assert code == 1 and "stored" not in out
    line = one_error(err)
    assert line.startswith("error: 2021-08-26: nothing stored: hn failed, hf failed (hn: ")
    assert "next try after" in line
    assert await env.stored(dt.date(2021, 8, 26)) is None


async def test_a_worse_build_is_kept_out_unless_replace(env: Env) -> None:
    day = dt.date(2021, 8, 26)
    code, _, err = await hotpapers(env.vars, "build", "--date", "2021-08-26", "--sources", "hn,hf")
    assert code == 0, err
    both = await env.stored(day)
    assert both is not None and both[1] == ("hn", "hf")
    code, out, err = await hotpapers(env.vars, "build", "--date", "2021-08-26", "--sources", "hn")
    assert code == 0, err  # a usable build, just not a better one
    assert out.splitlines()[0].startswith(
        f"2021-08-26 kept: the stored digest ({both[0]} papers, hn, hf) is better than this "
        "build (")
    assert "add --replace" in out.splitlines()[0]
    assert await env.stored(day) == both
    code, out, err = await hotpapers(env.vars, "build", "--date", "2021-08-26", "--sources", "hn",
                                     "--replace")
    assert code == 0, err
    replaced = await env.stored(day)
    assert replaced is not None and replaced[1] == ("hn",)


async def test_a_partial_build_is_stored_partial_and_a_complete_one_replaces_it(
    env: Env
) -> None:
    day = dt.date(2021, 8, 26)
    code, out, err = await hotpapers(env.down("hf"), "build", "--date", "2021-08-26",
                                     "--sources", "hn,hf")
    assert code == 0, err
    assert "stored, partial (sources: Hacker News · failed: Hugging Face)" in out
    partial = await env.stored(day)
    assert partial is not None and partial[1] == ("hn",) and partial[2] == "partial"
    assert "built again after" in out
    code, out, err = await hotpapers(env.vars, "build", "--date", "2021-08-26",
                                     "--sources", "hn,hf")
    assert code == 0, err
    complete = await env.stored(day)
    assert complete is not None and complete[1] == ("hn", "hf") and complete[2] == "complete"


async def test_an_imported_day_is_kept_without_a_request(env: Env) -> None:
    code, out, err = await hotpapers(env.vars, "import", str(SAMPLE_POST))
    assert code == 0, err
    code, out, err = await hotpapers(env.vars, "build", "--date", "2021-08-06", "--sources", "hn")
    assert code == 0, err
    assert out.strip() == ("2021-08-06 kept: the stored digest (11 papers, imported from the "
                           "blog archive) is authoritative; add --replace to replace it with "
                           "a build")
    assert env.arxiv.log == [] and env.social.log == []
    assert await env.stored(dt.date(2021, 8, 6)) == (11, ("x",), "imported")


# --- 2. X's 7 days are a coverage note, not a failure ------------------------------------
async def test_x_out_of_reach_is_a_coverage_note_not_a_failure(env: Env) -> None:
    x = dict(env.vars, HOTPAPERS_X_BEARER_TOKEN=env.social.x_token)
    code, out, err = await hotpapers(x, "build", "--date", "2021-08-09", "--sources", "x")
    assert code == 1, out + err
    assert one_error(err) == (
        "error: 2021-08-09: nothing stored: X's recent search reaches back 7 days: 2021-08-09 "
        "is out of reach; count it with the sources that keep history: --sources hn,hf")
    assert await env.stored(dt.date(2021, 8, 9)) is None
    assert env.social_requests("x") == 0

    code, out, err = await hotpapers(x, "build", "--date", "2021-08-09")  # every configured one
    assert code == 0, err
    assert "failed" not in out.splitlines()[0]  # X was not asked: it did not fail
    assert "X's recent search reaches back 7 days: 2021-08-09 is out of reach" in out
    stored = await env.stored(dt.date(2021, 8, 9))
    assert stored is not None and stored[1] == ("hn", "hf") and stored[2] == "complete"
    code, out, err = await hotpapers(x, "digest", "2021-08-09", "--no-build")
    assert code == 0
    assert "failed" not in out and "could not be reached" not in out
    assert "Not counted: X's recent search reaches back 7 days" in " ".join(out.split())


# --- 3. on-demand builds never cache a temporary failure ---------------------------------
async def test_on_demand_failure_is_not_cached_for_good(env: Env) -> None:
    day = dt.date(2021, 8, 18)
    code, out, err = await hotpapers(env.down("hn", "hf"), "digest", "2021-08-18")
    assert code == 2, out
    line = one_error(err)
    assert "No digest for 2021-08-18 (building it failed at" in line and "next try after" in line
    assert "announces nothing" not in line
    assert await env.stored(day) is None
    # The sources are back, but the retry time has not come: no request, the reason again.
    code, out, err = await hotpapers(env.vars, "digest", "2021-08-18")
    assert code == 2 and "next try after" in one_error(err)
    assert env.social_requests("hn") == 0
    # once it has come, the next call builds the day: tests/bot/test_on_demand.py


async def test_on_demand_partial_day_is_stored_partial_until_its_retry_time(env: Env) -> None:
    day = dt.date(2021, 8, 18)
    code, out, err = await hotpapers(env.down("hn"), "digest", "2021-08-18")
    assert code == 0, err
    assert "failed: Hacker News" in out and "its counts come from Hugging Face" in out
    partial = await env.stored(day)
    assert partial is not None and partial[1] == ("hf",) and partial[2] == "partial"
    before = env.social_requests("hn"), env.social_requests("hf")
    code, out, err = await hotpapers(env.vars, "digest", "2021-08-18")  # not due yet
    assert code == 0 and (env.social_requests("hn"), env.social_requests("hf")) == before
    assert "Hot Papers 2021-08-18" in out  # the partial digest, until its retry time
    # once it has come, the next call builds the day again: tests/bot/test_on_demand.py


# --- 6. arXiv failing is a failed build, never "a day without announcements" ---------------
async def test_arxiv_down_says_what_happens_and_never_blames_the_calendar(env: Env) -> None:
    code, _out, err = await hotpapers(env.down("arxiv"), "digest", "2021-08-09")
    assert code == 2
    retries = [line for line in err.splitlines() if line.startswith("retrying:")]
    assert retries and "the arXiv API: attempt 1 of 5 failed (connection refused); next try " \
        "in" in retries[0]
    assert "cannot build 2021-08-09" in one_error(err)
    code, _out, err = await hotpapers(env.vars, "digest", "2021-08-09", "--no-build")  # a Monday
    line = one_error(err)
    assert code == 2 and "announces nothing" not in line
    assert "No digest for 2021-08-09 (building it failed at " in line
    assert "the arXiv API is not answering" in line


async def test_build_progress_shows_each_retry(env: Env) -> None:
    code, _out, err = await hotpapers(env.down("arxiv"), "build", "--date", "2021-08-09",
                                     "--sources", "hn")
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("retrying:")]
    assert [line.split(": attempt ")[1][:6] for line in lines[:4]] == [
        "1 of 5", "2 of 5", "3 of 5", "4 of 5"]
    assert "error: cannot build 2021-08-09: the arXiv API is not answering" in err
