"""Fair counting end to end, on the fake arXiv and social servers: one account posting
the same paper five times counts once, an auto-poster (found by the rule) and a listed
one are counted down, and `hotpapers explain` lists every post, counted or not, and why;
the per-source breakdown in JSON and on the cards; imported digests explain their totals."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.counting import AUTO_POSTER, SAME_ACCOUNT
from bot.digest import build_digest, mention_window
from bot.lookup import explain
from bot.models import Digest
from bot.render.explain import explain_lines, explain_to_dict
from bot.render.json_render import digest_to_dict
from bot.render.slack import paper_message
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.signals.registry import make_sources
from bot.store import Store
from tests.fakes.arxiv_server import ArxivFake, make_day
from tests.fakes.social_corpus import Corpus, FakePost
from tests.fakes.social_servers import SocialServers
from tests.paths import SAMPLE_POST

DAY = dt.date(2021, 8, 6)
WINDOW = mention_window(DAY)
NOW = WINDOW.end + dt.timedelta(hours=1)
FAST = RetryPolicy(attempts=2, backoff=0.01, timeout=5.0)
runner = CliRunner()


def at(minutes: int) -> dt.datetime:
    return (WINDOW.start + dt.timedelta(minutes=minutes)).replace(microsecond=0)


def x_post(n: int, who: str, arxiv_id: str, likes: int, reposts: int = 0) -> FakePost:
    link = f"https://arxiv.org/abs/{arxiv_id}"
    return FakePost("x", str(1_400_000 + n), at(n), who, f"Read {link}", (link,), (arxiv_id,),
                    likes, reposts)


@dataclass
class Built:
    digest: Digest
    store: Store
    hot: str  # the paper the corpus is about
    settings: Settings


@pytest.fixture
async def built(sqlite_url: str) -> AsyncIterator[Built]:
    papers = make_day(DAY, 20)
    ids = [p.paper.arxiv_id for p in papers]
    hot = ids[0]
    corpus = Corpus()
    # alice posts the paper five times: only her most engaged post counts
    corpus.extend(x_post(i, "alice", hot, likes, reposts)
                  for i, (likes, reposts) in enumerate([(30, 10), (20, 0), (15, 1), (10, 0),
                                                        (5, 0)]))
    corpus.add(x_post(10, "bob", hot, 25, 5))
    # feedbot posts every paper of the day with next to no engagement: counted down
    corpus.extend(x_post(100 + i, "feedbot", pid, 2 if pid == hot else 0)
                  for i, pid in enumerate(ids[:15]))
    # a Bluesky account on the configured auto-poster list
    link = f"https://arxiv.org/abs/{hot}"
    corpus.add(FakePost("bluesky", "3kabc", at(20), "paperfeed.bsky.social",
                        f"New: {link}", (link,), (hot,), likes=40, reposts=0))
    # Hacker News: one story
    corpus.add(FakePost("hn", "28000001", at(30), "pg", "Sketching GANs", (link,), (hot,),
                        likes=120))
    arxiv = ArxivFake(papers=papers)
    await arxiv.start()
    social = SocialServers(corpus, now=NOW)
    async with social.running(), aiohttp.ClientSession() as session:
        settings = Settings(
            database_url=sqlite_url,
            arxiv_api_url=arxiv.url + "/api/query", arxiv_rss_url=arxiv.url + "/rss/",
            arxiv_oai_url=arxiv.url + "/oai", arxiv_min_interval=0.0,
            hn_url=social.url("hn"), hf_url=social.url("hf"),
            bluesky_url=social.url("bluesky"), x_url=social.url("x"),
            bluesky_handle=social.bluesky_handle,
            bluesky_app_password=SecretStr(social.bluesky_password),
            x_bearer_token=SecretStr(social.x_token),
            auto_posters=("bluesky:paperfeed.bsky.social",),
        )
        sources, _ = make_sources(settings, session, retry=FAST, clock=lambda: NOW)
        store = await Store.open(sqlite_url)
        result = await build_digest(DAY, settings=settings, session=session, store=store,
                                    sources=sources, now=NOW)
        yield Built(result.digest, store, hot, settings)
        await store.close()
    await arxiv.close()


async def test_one_account_once_and_auto_posters_counted_down(built: Built) -> None:
    top = built.digest.papers[0]
    assert top.paper.arxiv_id == built.hot
    # X: alice 40 (her best of five) + bob 30 + feedbot 2 x 0.1; Bluesky 40 x 0.1; HN 120
    assert top.score == round(40 + 30 + 0.2 + 4 + 120)
    by = {s.source: s for s in top.by_source}
    assert (by["x"].posts, by["x"].reposts, by["x"].likes) == (3, 15, 57)
    assert by["x"].points == pytest.approx(70.2)
    assert by["bluesky"].points == pytest.approx(4.0) and by["hn"].likes == 120
    assert digest_to_dict(built.digest)["papers"][0]["sources"] == {
        "bluesky": {"posts": 1, "reposts": 0, "likes": 40, "score": 4},
        "hn": {"posts": 1, "points": 120, "score": 120},
        "x": {"posts": 3, "reposts": 15, "likes": 57, "score": 70.2},
    }
    card = json.dumps(paper_message(built.digest, top)["blocks"], ensure_ascii=False)
    assert "*score 194* · Bluesky 40 likes — HN 120 points — X 15 reposts · 57 likes" in card


async def test_explain_lists_every_post_counted_or_not_and_why(built: Built) -> None:
    e = await explain(built.store, built.hot)  # the latest day that lists it
    assert e.digest.date == DAY and e.paper.rank == 1 and not e.imported
    rules = [(c.mention.author_handle, c.rule, c.factor) for c in e.posts]
    assert rules.count(("alice", SAME_ACCOUNT, 0.0)) == 4
    assert ("alice", "", 1.0) in rules and ("bob", "", 1.0) in rules
    assert ("feedbot", AUTO_POSTER, pytest.approx(0.1)) in rules
    assert ("paperfeed.bsky.social", AUTO_POSTER, pytest.approx(0.1)) in rules
    assert len(e.posts) == 5 + 1 + 1 + 1 + 1
    text = "\n".join(explain_lines(e))
    assert "X: 3 posts counted (1 counted down), 4 not counted; 15 reposts · 57 likes; " \
        "counts 70.2\n" in text
    assert "not counted: @alice already counts for this paper on X with its most engaged " \
        "post (https://twitter.com/alice/status/1400000)" in text
    assert "counted down: @feedbot posted 15 papers in the window" in text
    assert "counted down: @paperfeed.bsky.social is on the auto-poster list" in text
    assert text.rstrip().endswith("score = Bluesky 4 — HN 120 — X 70.2 = 194".replace(
        " — ", " + "))
    data = explain_to_dict(e)
    assert data["counting"].startswith("one account once per paper and source")
    assert sum(1 for p in data["posts"] if not p["counted"]) == 4


async def test_the_cli_explains_from_the_store(built: Built, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    monkeypatch.setenv("HOTPAPERS_DATABASE_URL", built.settings.database_url)

    async def hp(*args: str) -> Result:  # the CLI runs its own event loop: in a thread
        return await asyncio.to_thread(runner.invoke, app, list(args))

    r = await hp("explain", built.hot, "--date", "2021-08-06", "-f", "json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["arxiv_id"] == built.hot and data["score"] == 194
    assert {p["rule"] for p in data["posts"]} == {"", SAME_ACCOUNT, AUTO_POSTER}
    r = await hp("explain", built.hot)
    assert r.exit_code == 0 and "score = " in r.stdout
    bad = await hp("explain", "not-an-id")
    assert bad.exit_code == 2 and "is not an arXiv id" in bad.stderr
    other = await hp("explain", built.hot, "--date", "2021-08-05")
    assert other.exit_code == 2
    assert "no digest stored for 2021-08-05; it is listed on 2021-08-06" in other.stderr


async def test_rebuilding_a_day_replaces_its_counted_posts(built: Built) -> None:
    assert (await explain(built.store, built.hot)).posts
    await built.store.save_digest(built.digest)  # no counted posts given: the old ones go
    assert (await explain(built.store, built.hot)).posts == ()


def test_an_imported_paper_explains_the_blogs_totals() -> None:
    r = runner.invoke(app, ["import", str(SAMPLE_POST)])  # the blog's own 2021-08-06
    assert r.exit_code == 0, r.stderr
    r = runner.invoke(app, ["explain", "2108.02774"])
    assert r.exit_code == 0, r.stderr
    assert "rank 1 of 11 on 2021-08-06 · score 2,842" in r.stdout
    assert "published each paper's totals but not the counts of its posts: score = X 2,597 " \
        "reposts · 245 likes = 2,842" in r.stdout
    assert "https://twitter.com/ak92501/status/1423445312602099712" in r.stdout
