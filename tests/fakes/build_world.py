"""The world of a build test: the fake arXiv (one day of 120 papers, replacements and
papers of other archives) and the four fake social servers with a corpus over the day's
window (and posts outside it, which must not count), plus the settings pointing at them.
`world` is a pytest fixture: import it into a test module."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr

from bot.digest import mention_window
from bot.retry import RetryPolicy
from bot.settings import Settings
from bot.signals.base import SignalSource
from bot.signals.registry import make_sources
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
