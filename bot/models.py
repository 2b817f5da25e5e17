"""The core's value types: frozen dataclasses shared by every layer.

Nothing here does I/O. Sources produce `Paper` and `Mention`, `bot.ranking` turns
them into `RankedPaper`, `bot.digest` assembles a `Digest`, the store keeps all of
them, renderers and adapters only read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

ARXIV_ABS = "https://arxiv.org/abs/"
ARXIV_PDF = "https://arxiv.org/pdf/"
ARXIV_LIST = "https://arxiv.org/list/{category}/recent"


@dataclass(frozen=True, slots=True)
class Paper:
    """One arXiv paper. `arxiv_id` never carries a version (`2108.02774`, `hep-th/9901001`)."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]  # primary category first
    abstract: str = ""

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def abs_url(self) -> str:
        return ARXIV_ABS + self.arxiv_id

    @property
    def pdf_url(self) -> str:
        return ARXIV_PDF + self.arxiv_id


def category_url(category: str) -> str:
    return ARXIV_LIST.format(category=category)


@dataclass(frozen=True, slots=True)
class Mention:
    """One social post linking one or more papers.

    `source` is a short source key: "x", "bluesky", "hn", "hf". `(source, url)` identifies
    the post. Counts are the platform's own: reposts (retweets, reposts, HN comments are
    NOT reposts) and likes (likes, favorites, HN points, HF upvotes).
    """

    source: str
    url: str
    arxiv_ids: tuple[str, ...]
    author_name: str = ""
    author_handle: str = ""
    posted_at: dt.datetime | None = None
    text: str = ""
    language: str | None = None
    reposts: int = 0
    likes: int = 0
    embed_html: str | None = None

    @property
    def attention(self) -> int:
        return self.reposts + self.likes


@dataclass(frozen=True, slots=True)
class SourceCount:
    """A paper's attention from one source."""

    source: str
    reposts: int
    likes: int


@dataclass(frozen=True, slots=True)
class RankedPaper:
    """A paper as listed in a digest: its rank, its totals, and the posts shown under it.

    `reposts`/`likes` are totals over ALL posts linking the paper (weighted sources are
    reflected in `score`), `mentions` are only the posts shown (own attention >= the
    post threshold, the top one always), most-liked first.
    """

    rank: int
    paper: Paper
    score: int
    reposts: int
    likes: int
    mentions: tuple[Mention, ...] = ()
    by_source: tuple[SourceCount, ...] = ()


@dataclass(frozen=True, slots=True)
class Digest:
    """The Hot Papers of one arXiv announcement day."""

    date: dt.date
    papers: tuple[RankedPaper, ...]
    counted_at: dt.datetime
    sources: tuple[str, ...] = ()
    failed_sources: tuple[str, ...] = ()
    listing: tuple[str, ...] = ("cs", "stat.ML")  # the arXiv listing the papers came from
    title: str = ""  # empty means the default "Hot Papers YYYY-MM-DD"
    categories_filter: tuple[str, ...] = ()  # set on a filtered view, empty on the full digest
    # Source-specific fields a renderer needs and the models don't name (for example the
    # blog post's front matter values), as sorted (key, value) pairs.
    meta: tuple[tuple[str, str], ...] = ()

    def meta_value(self, key: str, default: str = "") -> str:
        return dict(self.meta).get(key, default)

    @property
    def heading(self) -> str:
        return self.title or f"Hot Papers {self.date.isoformat()}"

    def with_papers(self, papers: tuple[RankedPaper, ...], renumber: bool = True) -> Digest:
        """A view of this digest holding only `papers` (renumbered from 1 by default)."""
        if renumber:
            papers = tuple(replace(p, rank=i) for i, p in enumerate(papers, start=1))
        return replace(self, papers=papers)


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced, with one-line notes for the user (sources used, failures)."""

    digest: Digest
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Subscription:
    """What one chat channel receives. No categories means the whole digest.

    `platform` is "slack", "discord", "webhook", "console" ...; `workspace` the Slack team
    or Discord guild id ("" when not known), `channel` the platform's channel id.
    """

    platform: str
    channel: str
    workspace: str = ""
    categories: tuple[str, ...] = ()
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    include_authors: tuple[str, ...] = ()
    exclude_authors: tuple[str, ...] = ()
    min_score: int = 0
    max_papers: int | None = None
    paused: bool = False
    pause_reason: str = ""
    created_at: dt.datetime | None = None

    @property
    def target(self) -> str:
        """`platform:channel`, the form the CLI uses (`slack:C123`)."""
        return f"{self.platform}:{self.channel}"


@dataclass(frozen=True, slots=True)
class DeliveryRef:
    """Where a message landed on a platform."""

    message_id: str
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One ledger row: one message of one digest to one channel.

    `part` 0 is the parent message, `part` n the reply for the paper ranked n in the
    channel's view. `status` is "pending" (about to send: in doubt after a crash),
    "sent", or "failed".
    """

    digest_date: dt.date
    platform: str
    channel: str
    part: int
    status: str
    workspace: str = ""
    message_id: str | None = None
    thread_id: str | None = None
    nonce: str = ""
    updated_at: dt.datetime | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Command:
    """A platform-neutral chat command: `/hot 2021-08-06 cs.CV` becomes
    Command(name="hot", args=("2021-08-06", "cs.CV"), ...).

    `can_manage_channel` has no default: each adapter decides whether the user may
    change the channel's subscription (deny by default), and `denied` says in one line
    who may when not."""

    name: str
    args: tuple[str, ...]
    platform: str
    channel: str
    workspace: str = ""
    user: str = ""
    can_manage_channel: bool = field(kw_only=True)
    denied: str = field(default="", kw_only=True)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the core answers to a `Command`.

    `digest` set: post it (as a thread, like the daily post). `ephemeral`: only the
    asking user sees `text`. `notes` are one-line remarks shown with a digest (for
    example which sources an on-demand build used).
    """

    text: str
    ephemeral: bool = False
    digest: Digest | None = None
    is_error: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Set with an on-demand digest: the adapter reports where the thread landed (or that
    # it failed) with `Core.thread_posted` / `Core.thread_failed`, so the same view asked
    # again soon answers with a link instead of a new thread.
    view_key: str = ""
