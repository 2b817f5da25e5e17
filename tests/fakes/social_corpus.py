"""An in-memory corpus of social posts about arXiv papers, for the fake social servers.

`Corpus.generate(paper_ids, n_mentions, start, end)` spreads `n_mentions` posts over the
papers and the four sources (X, Bluesky, Hacker News, Hugging Face) inside [start, end),
with heavy-tailed like/repost counts, every URL form people share, posts linking two
papers, and some "noise" posts that link arxiv.org without a paper id (which a correct
client drops). `expected(source, start, end)` says what a correct client must return.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SOURCES = ("x", "bluesky", "hn", "hf")
DEFAULT_SHARES = {"x": 0.5, "bluesky": 0.25, "hn": 0.05, "hf": 0.2}
LINK_FORMS = (
    "https://arxiv.org/abs/{id}",
    "https://arxiv.org/abs/{id}v2",
    "https://arxiv.org/pdf/{id}",
    "https://arxiv.org/pdf/{id}v1.pdf",
    "https://arxiv.org/html/{id}v1",
    "http://export.arxiv.org/abs/{id}",
)
NOISE_LINKS = ("https://arxiv.org/list/cs.LG/recent", "https://arxiv.org/help/api")


@dataclass(frozen=True, slots=True)
class FakePost:
    source: str
    post_id: str  # HN objectID, tweet id, Bluesky rkey, HF: the arXiv id
    created: dt.datetime
    author: str  # handle / username
    text: str
    links: tuple[str, ...]  # full URLs the post links (X entities, Bluesky facets, HN url)
    arxiv_ids: tuple[str, ...]  # what a correct client extracts (empty for noise)
    likes: int
    reposts: int = 0
    comments: int = 0
    card_only: bool = False  # Bluesky: the link is only in the embed card, not the text

    @property
    def url(self) -> str:
        """The post's public URL, as the clients build it."""
        if self.source == "hn":
            return f"https://news.ycombinator.com/item?id={self.post_id}"
        if self.source == "hf":
            return f"https://huggingface.co/papers/{self.post_id}"
        if self.source == "bluesky":
            return f"https://bsky.app/profile/{self.author}/post/{self.post_id}"
        return f"https://twitter.com/{self.author}/status/{self.post_id}"

    @property
    def did(self) -> str:
        return f"did:plc:{self.author.split('.')[0]}"

    @property
    def day(self) -> dt.date:
        return self.created.date()


@dataclass(slots=True)
class Corpus:
    posts: dict[str, list[FakePost]] = field(default_factory=lambda: {s: [] for s in SOURCES})

    def add(self, post: FakePost) -> None:
        self.posts.setdefault(post.source, []).append(post)

    def extend(self, posts: Iterable[FakePost]) -> None:
        for post in posts:
            self.add(post)

    def of(self, source: str) -> list[FakePost]:
        return self.posts.get(source, [])

    def in_window(self, source: str, start: dt.datetime, end: dt.datetime) -> list[FakePost]:
        return [p for p in self.of(source) if start <= p.created < end]

    def expected(self, source: str, start: dt.datetime, end: dt.datetime) -> dict[str, FakePost]:
        """url -> post for every post a correct client returns (noise dropped).
        Hugging Face is per day: every day the window touches counts whole."""
        if source == "hf":
            days = set(days_touched(start, end))
            posts = [p for p in self.of("hf") if p.day in days]
        else:
            posts = self.in_window(source, start, end)
        return {p.url: p for p in posts if p.arxiv_ids}

    def __len__(self) -> int:
        return sum(len(v) for v in self.posts.values())

    @classmethod
    def generate(
        cls,
        paper_ids: Sequence[str],
        n_mentions: int,
        start: dt.datetime,
        end: dt.datetime,
        *,
        seed: int = 0,
        shares: dict[str, float] | None = None,
        noise: float = 0.02,
    ) -> Corpus:
        """`n_mentions` posts (noise included) linking `paper_ids`, posted in [start, end).

        Hugging Face lists each paper at most once a day, so its share is capped at the
        number of papers per day the window touches.
        """
        rng = random.Random(seed)
        shares = shares or DEFAULT_SHARES
        corpus = cls()
        span = (end - start).total_seconds()
        counts = {s: int(n_mentions * shares.get(s, 0.0)) for s in SOURCES}
        counts["x"] += n_mentions - sum(counts.values())
        counts["hf"] = min(counts["hf"], len(paper_ids))
        popularity = [rng.paretovariate(1.2) for _ in paper_ids]
        serial = 10_000_000
        for source in ("x", "bluesky", "hn"):
            for _ in range(counts[source]):
                serial += 1
                created = start + dt.timedelta(seconds=rng.uniform(0, span))
                created = created.replace(microsecond=0)
                if created >= end:
                    created = end - dt.timedelta(seconds=1)
                corpus.add(_post(rng, source, serial, created, paper_ids, popularity, noise))
        for arxiv_id in rng.sample(list(paper_ids), counts["hf"]):
            corpus.add(FakePost(
                source="hf", post_id=arxiv_id, created=start.replace(hour=12, minute=0, second=0),
                author=f"user{rng.randint(1, 99)}", text=f"Paper {arxiv_id}",
                links=(f"https://arxiv.org/abs/{arxiv_id}",), arxiv_ids=(arxiv_id,),
                likes=int(rng.paretovariate(1.1) * 3), comments=rng.randint(0, 5),
            ))
        return corpus


def days_touched(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The UTC dates [start, end) touches, oldest first."""
    last = (end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
    day, out = start.astimezone(dt.UTC).date(), []
    while day <= last:
        out.append(day)
        day += dt.timedelta(days=1)
    return out


def _post(
    rng: random.Random, source: str, serial: int, created: dt.datetime,
    paper_ids: Sequence[str], popularity: list[float], noise: float,
) -> FakePost:
    author = f"user{rng.randint(1, 5000)}" + (".bsky.social" if source == "bluesky" else "")
    likes = int(rng.paretovariate(1.3) * 2) - 1
    reposts = int(likes * rng.uniform(0, 0.4)) if source != "hn" else 0
    if rng.random() < noise:
        link = rng.choice(NOISE_LINKS)
        return FakePost(source, str(serial), created, author, f"Browse {link}", (link,), (),
                        likes, reposts)
    card_only = source == "bluesky" and rng.random() < 0.2  # a link card holds one link
    n = 2 if source != "hn" and not card_only and rng.random() < 0.05 else 1
    ids = tuple(dict.fromkeys(rng.choices(list(paper_ids), weights=popularity, k=n)))
    links = tuple(rng.choice(LINK_FORMS).format(id=i) for i in ids)
    shown = " ".join(link.removeprefix("https://")[:22] + "…" for link in links)
    text = "Interesting paper!" if card_only else f"Interesting paper! {shown}"
    post_id = serial if source != "bluesky" else f"3k{serial:x}"
    return FakePost(source, str(post_id), created, author, text, links, ids, likes, reposts,
                    comments=rng.randint(0, 40) if source == "hn" else 0, card_only=card_only)
