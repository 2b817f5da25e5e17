"""The whole build against the fake arXiv and the fake social servers: ranking over all
sources, partial failure, arXiv failure (nothing stored), RSS day metadata, on demand."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr

from bot.digest import build_digest, mention_window, on_demand_builder
from bot.errors import BuildError, SourceUnavailable
from bot.models import Mention
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.signals.base import SignalSource, TimeWindow
from bot.signals.registry import make_sources
from bot.store import Store
from tests.fakes.arxiv_server import ArxivFake, make_day
from tests.fakes.social_corpus import Corpus
from tests.fakes.social_servers import SocialServers

DAY = dt.date(2021, 8, 6)
WINDOW = mention_window(DAY)
NOW = WINDOW.end + dt.timedelta(hours=1)
FAST = RetryPolicy(attempts=2, backoff=0.01, timeout=5.0)


@dataclass
class World:
    arxiv: ArxivFake
    social: SocialServers
    corpus: Corpus
    settings: Settings
    session: aiohttp.ClientSession

    def sources(self, names: list[str] | None = None) -> list[SignalSource]:
        found, _ = make_sources(self.settings, self.session, names, retry=FAST,
                                clock=lambda: NOW)
        return found


@pytest.fixture
async def world() -> AsyncIterator[World]:
    papers = make_day(DAY, 120, replacements=10, outside=20)
    arxiv = ArxivFake(papers=papers)
    await arxiv.start()
    ids = [p.paper.arxiv_id for p in papers]  # mentions also link unlisted papers
    corpus = Corpus.generate(ids, 3000, WINDOW.start, WINDOW.end, seed=3)
    # and posts outside the window, which must not count
    corpus.extend(p for s in ("x", "hn") for p in Corpus.generate(
        ids, 200, WINDOW.end, WINDOW.end + dt.timedelta(hours=5), seed=4).of(s))
    # A Bluesky embed card holds one link: the corpus's card-only posts with two links
    # are left out (the fake serves only the first of them, its expectation names both).
    corpus.posts["bluesky"] = [p for p in corpus.of("bluesky")
                               if not (p.card_only and len(p.links) > 1)]
    social = SocialServers(corpus, now=NOW)
    async with social.running(), aiohttp.ClientSession() as session:
        settings = Settings(
            arxiv_api_url=arxiv.url + "/api/query", arxiv_rss_url=arxiv.url + "/rss/",
            arxiv_oai_url=arxiv.url + "/oai", arxiv_min_interval=0.0,
            hn_url=social.url("hn"), hf_url=social.url("hf"),
            bluesky_url=social.url("bluesky"), x_url=social.url("x"),
            bluesky_handle=social.bluesky_handle,
            bluesky_app_password=SecretStr(social.bluesky_password),
            x_bearer_token=SecretStr(social.x_token),
        )
        yield World(arxiv, social, corpus, settings, session)
    await arxiv.close()


def expected_scores(w: World, sources: tuple[str, ...], *, fair: bool = True
                    ) -> dict[str, int]:
    """Scores computed from the corpus itself. `fair`: each account once per paper and
    source, with its most engaged post (the corpus has no auto-posters and no authors
    posting their own papers); else every post in full (the seed's rule)."""
    listed = {p.paper.arxiv_id for p in w.arxiv.papers if p.announce_type != "replace"
              and any(c.startswith("cs.") or c == "stat.ML" for c in p.paper.categories)}
    best: dict[tuple[str, str, str], int] = {}
    for source in sources:
        for post in w.corpus.expected(source, WINDOW.start, WINDOW.end).values():
            for i in set(post.arxiv_ids) & listed:
                key = (i, source, post.author.lower() if fair else post.url)
                best[key] = max(best.get(key, 0), post.likes + post.reposts)
    scores: dict[str, int] = {}
    for (i, _, _), attention in best.items():
        scores[i] = scores.get(i, 0) + attention
    return scores


async def test_full_build_ranks_every_source_and_stores(
    world: World, sqlite_store: Store
) -> None:
    result = await build_digest(DAY, settings=world.settings, session=world.session,
                                store=sqlite_store, sources=world.sources(), now=NOW)
    d = result.digest
    scores = expected_scores(world, ("x", "bluesky", "hn", "hf"))
    want = sorted(((-s, i) for i, s in scores.items() if s >= 50))
    assert [(-p.score, p.paper.arxiv_id) for p in d.papers] == want
    assert len(d.papers) >= 10
    assert set(d.sources) == {"x", "bluesky", "hn", "hf"} and d.failed_sources == ()
    assert all(p.paper.title.startswith("Paper ") for p in d.papers)
    top = d.papers[0]
    assert top.mentions and all(m.attention >= 25 for m in top.mentions[1:])
    assert sum(s.reposts + s.likes for s in top.by_source) == top.score
    assert await sqlite_store.get_digest(DAY) == d
    assert "120 papers listed" in result.notes[0]
    assert d.meta_value("counting").startswith("one account once per paper and source")
    # it is still the feed's day but this fake feed is empty (like on a holiday): one API
    # search page follows, and no id_list requests (the search carries the metadata)
    assert [(r.method, r.path) for r in world.arxiv.log] == [
        ("GET", "/rss/cs+stat.ML"), ("GET", "/api/query")]


async def test_fair_counting_off_counts_every_post_like_the_seed(
    world: World, sqlite_store: Store
) -> None:
    settings = world.settings.model_copy(update={"fair_counting": False})
    result = await build_digest(DAY, settings=settings, session=world.session,
                                store=sqlite_store, sources=world.sources(), now=NOW)
    scores = expected_scores(world, ("x", "bluesky", "hn", "hf"), fair=False)
    fair = expected_scores(world, ("x", "bluesky", "hn", "hf"))
    assert scores != fair  # the corpus has accounts posting a paper more than once
    assert [(-p.score, p.paper.arxiv_id) for p in result.digest.papers] == sorted(
        (-s, i) for i, s in scores.items() if s >= 50)
    assert result.digest.meta_value("counting") == "every post counted in full (the seed's rule)"


async def test_rank_normalisation_orders_by_each_sources_percentile(
    world: World, sqlite_store: Store
) -> None:
    settings = world.settings.model_copy(update={"source_normalisation": "rank"})
    result = await build_digest(DAY, settings=settings, session=world.session,
                                store=sqlite_store, sources=world.sources(), now=NOW)
    # independently: each source's fair points per listed paper -> percentile x 100
    listed = {p.paper.arxiv_id for p in world.arxiv.papers if p.announce_type != "replace"
              and any(c.startswith("cs.") or c == "stat.ML" for c in p.paper.categories)}
    total: dict[str, float] = {}
    for source in ("x", "bluesky", "hn", "hf"):
        best: dict[tuple[str, str], int] = {}
        for post in world.corpus.expected(source, WINDOW.start, WINDOW.end).values():
            for i in set(post.arxiv_ids) & listed:
                key = (i, post.author.lower())
                best[key] = max(best.get(key, 0), post.likes + post.reposts)
        points: dict[str, int] = {}
        for (i, _), a in best.items():
            points[i] = points.get(i, 0) + a
        values = sorted(v for v in points.values() if v > 0)
        for i, v in points.items():
            if v > 0:
                total[i] = total.get(i, 0.0) + 100.0 * sum(1 for x in values if x <= v) / len(
                    values)
    plain = expected_scores(world, ("x", "bluesky", "hn", "hf"))
    hot = {i for i, s in plain.items() if s >= 50}  # listed by attention, as before
    want = sorted((-round(total[i]), i) for i in hot)
    got = [(-p.score, p.paper.arxiv_id) for p in result.digest.papers]
    assert sorted(got) == want  # the same papers and scores
    assert [i for _, i in got] == [i for _, i in sorted((-total[i], i) for i in hot)]
    assert all(p.score <= 400 for p in result.digest.papers)
    assert result.digest.meta_value("normalisation") == "rank"


async def test_a_failing_source_is_recorded_and_the_rest_still_count(
    world: World, sqlite_store: Store
) -> None:
    world.social.fail("bluesky", 503, times=50)
    result = await build_digest(DAY, settings=world.settings, session=world.session,
                                store=sqlite_store, sources=world.sources(), now=NOW)
    d = result.digest
    assert d.failed_sources == ("bluesky",)
    assert "bluesky" not in d.sources and "x" in d.sources
    assert any(n.startswith("bluesky failed:") for n in result.notes)
    scores = expected_scores(world, ("x", "hn", "hf"))
    assert [p.paper.arxiv_id for p in d.papers] == [
        i for _, i in sorted((-s, i) for i, s in scores.items() if s >= 50)]
    assert (await sqlite_store.get_digest(DAY)) is not None


class Boom:
    name = "boom"
    has_history = True

    async def mentions(self, window: TimeWindow) -> AsyncIterator[Mention]:
        yield Mention("boom", "u", ("2108.10000",), likes=1)
        raise SourceUnavailable("boom: exploded after one page")


async def test_unexpected_source_errors_are_contained(world: World, sqlite_store: Store) -> None:
    result = await build_digest(DAY, settings=world.settings, session=world.session,
                                store=sqlite_store, sources=[Boom(), *world.sources(["hn"])],
                                now=NOW)
    assert result.digest.failed_sources == ("boom",)
    assert "boom failed: boom: exploded after one page" in result.notes


async def test_arxiv_failure_fails_the_build_and_stores_nothing(
    any_store: Store, world: World  # the store first: the PostgreSQL fixture runs its own loop
) -> None:
    world.arxiv.fail_next(20, 503, retry_after=0)
    with pytest.raises(BuildError) as exc:
        await build_digest(DAY, settings=world.settings, session=world.session,
                           store=any_store, sources=world.sources(), now=NOW)
    assert "cannot build 2021-08-06" in str(exc.value) and "\n" not in str(exc.value)
    assert await any_store.get_digest(DAY) is None
    assert await any_store.digest_dates() == []


async def test_api_down_falls_back_to_oai_pmh_with_a_note(
    world: World, sqlite_store: Store
) -> None:
    world.arxiv.fail_next(10, 503)  # every RSS and API attempt; OAI-PMH answers
    result = await build_digest(DAY, settings=world.settings, session=world.session,
                                store=sqlite_store, sources=world.sources(["hn", "x"]), now=NOW)
    assert result.digest.meta_value("listing_via") == "oai"
    assert result.digest.meta_value("listed") == "120"
    assert any("listing came from OAI-PMH" in n for n in result.notes)
    scores = expected_scores(world, ("hn", "x"))
    assert [p.paper.arxiv_id for p in result.digest.papers] == [
        i for _, i in sorted((-s, i) for i, s in scores.items() if s >= 50)]


async def test_weekend_is_a_one_line_build_error(world: World, sqlite_store: Store) -> None:
    with pytest.raises(BuildError, match="nothing on Saturdays"):
        await build_digest(dt.date(2021, 8, 7), settings=world.settings, session=world.session,
                           store=sqlite_store, sources=[], now=NOW)


async def test_rss_day_fetches_metadata_of_hot_papers_only(
    world: World, sqlite_store: Store
) -> None:
    world.arxiv.rss_date = DAY
    events: list[tuple[str, str, int]] = []
    early = WINDOW.start + dt.timedelta(hours=40)  # still the feed's day
    result = await build_digest(
        DAY, settings=world.settings, session=world.session, store=sqlite_store,
        sources=world.sources(["hn", "hf", "x"]), now=early,
        progress=lambda *e: events.append(e),
    )
    paths = [(r.method, r.path) for r in world.arxiv.log]
    assert paths == [("GET", "/rss/cs+stat.ML"), ("POST", "/api/query")]
    asked = world.arxiv.log[1].params["id_list"].split(",")
    assert sorted(asked) == sorted(p.paper.arxiv_id for p in result.digest.papers)
    # the API's primary category wins over the feed's category order
    by_id = {p.paper.arxiv_id: p.paper for p in world.arxiv.papers}
    assert all(p.paper == by_id[p.paper.arxiv_id] for p in result.digest.papers)
    assert ("arxiv", "done", 120) in events and ("hn", "done", len(
        world.corpus.expected("hn", WINDOW.start, early))) in events


async def test_on_demand_builder_uses_sources_with_history(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    url = world.settings.database_url
    store = await Store.open(url)
    settings = world.settings.model_copy(update={"database_url": url})
    build, session = await on_demand_builder(settings)
    try:
        result = await build(store, DAY)
        again = await build(store, DAY)  # stored now: not built twice
    finally:
        await session.close()
        await store.close()
    assert result.digest.sources == ("hn", "hf")
    assert result.notes[0].startswith(
        "built on demand from arXiv, Hacker News, Hugging Face (the sources with history")
    assert again.digest == result.digest
    assert len(world.arxiv.log) == 1
    assert not [e for e in world.social.log if e.source in ("x", "bluesky")]
