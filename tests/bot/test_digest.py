"""The whole build against the fake arXiv and the fake social servers: ranking over all
sources, partial failure, arXiv failure (nothing stored), RSS day metadata, on demand."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.digest import build_digest
from bot.errors import BuildError, NothingBuilt, SourceUnavailable
from bot.models import Mention
from bot.provenance import failed_build
from bot.signals.base import TimeWindow
from bot.signals.registry import make_sources
from bot.store import Store
from tests.fakes.build_world import DAY, NOW, WINDOW, World, expected_scores
from tests.fakes.digests import store_sample


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
    assert (await sqlite_store.get_digest(DAY)) == d
    assert d.status == "partial" and d.asked == ("hn", "hf", "bluesky", "x")
    assert d.attempts == 1 and d.retry_at == NOW + dt.timedelta(seconds=900)
    assert "partial (bluesky failed): built again after" in result.notes[0]


async def test_every_source_failing_stores_nothing_and_keeps_the_stored_digest(
    world: World, sqlite_store: Store
) -> None:
    good = await build_digest(DAY, settings=world.settings, session=world.session,
                              store=sqlite_store, sources=world.sources(["hn", "hf"]), now=NOW)
    world.social.fail("hn", 503, times=5)
    world.social.fail("hf", 503, times=5)
    with pytest.raises(NothingBuilt) as err:
        await build_digest(DAY, settings=world.settings, session=world.session,
                           store=sqlite_store, sources=world.sources(["hn", "hf"]), now=NOW)
    n = len(good.digest.papers)
    assert str(err.value) == (f"2021-08-06 kept: the stored digest ({n} papers, hn, hf) is "
                              "better than this build (hn failed, hf failed)")
    assert err.value.exit_code == 1
    assert await sqlite_store.get_digest(DAY) == good.digest


async def test_every_source_failing_on_an_empty_day_stores_nothing(
    world: World, sqlite_store: Store
) -> None:
    world.social.fail("hn", 503, times=5)
    with pytest.raises(NothingBuilt, match=r"^2021-08-06: nothing stored: hn failed \(hn: .*"
                       r"failed after 2 tries \(HTTP 503\)\); next try after 2021-08-0"):
        await build_digest(DAY, settings=world.settings, session=world.session,
                           store=sqlite_store, sources=world.sources(["hn"]), now=NOW)
    assert await sqlite_store.digest_dates() == []


async def test_an_imported_digest_is_never_rebuilt_without_replace(
    world: World, sqlite_store: Store
) -> None:
    imported = await store_sample(sqlite_store)  # the blog's own 2021-08-06
    result = await build_digest(DAY, settings=world.settings, session=world.session,
                                store=sqlite_store, sources=world.sources(), now=NOW)
    assert not result.stored and result.digest == imported
    assert result.notes == ("2021-08-06 kept: the stored digest (11 papers, imported from the "
                            "blog archive) is authoritative; add --replace to replace it with "
                            "a build",)
    assert world.arxiv.log == [] and world.social.log == []  # not even asked
    forced = await build_digest(DAY, settings=world.settings, session=world.session,
                                store=sqlite_store, sources=world.sources(["hn"]), now=NOW,
                                replace=True)
    assert forced.stored and (await sqlite_store.get_digest(DAY)) == forced.digest
    assert forced.digest.status == "complete" and forced.digest.sources == ("hn",)


async def test_a_less_complete_build_never_replaces_a_complete_one(
    world: World, sqlite_store: Store
) -> None:
    full = await build_digest(DAY, settings=world.settings, session=world.session,
                              store=sqlite_store, sources=world.sources(["hn", "hf"]), now=NOW)
    world.social.fail("hf", 503, times=5)
    partial = await build_digest(DAY, settings=world.settings, session=world.session,
                                 store=sqlite_store, sources=world.sources(["hn", "hf"]),
                                 now=NOW)
    assert not partial.stored and partial.digest == full.digest
    assert partial.notes[0].startswith(
        f"2021-08-06 kept: the stored digest ({len(full.digest.papers)} papers, hn, hf) is "
        "better than this build (")
    assert partial.notes[0].endswith("; hf failed); add --replace to store this build anyway")
    fewer = await build_digest(DAY, settings=world.settings, session=world.session,
                               store=sqlite_store, sources=world.sources(["hn"]), now=NOW)
    assert not fewer.stored  # complete, but fewer sources answering
    assert await sqlite_store.get_digest(DAY) == full.digest


async def test_x_out_of_its_seven_days_is_a_coverage_note_not_a_failure(
    world: World, sqlite_store: Store
) -> None:
    later = NOW + dt.timedelta(days=9)
    found, _ = make_sources(world.settings, world.session, ["hn", "x"], clock=lambda: later)
    result = await build_digest(DAY, settings=world.settings, session=world.session,
                                store=sqlite_store, sources=found, now=later)
    d = result.digest
    assert d.sources == ("hn",) and d.failed_sources == () and d.asked == ("hn",)
    assert d.status == "complete"
    assert d.coverage == ("X's recent search reaches back 7 days: 2021-08-06 is out of reach",)
    assert not [e for e in world.social.log if e.source == "x"]
    assert d.coverage[0] in result.notes


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
    failed = await failed_build(any_store, DAY)  # the day is tried again later
    assert failed is not None and failed.attempts == 1 and "cannot build" in failed.reason


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
