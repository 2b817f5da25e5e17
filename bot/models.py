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
# The social sources by key, with the names people know them by.
SOURCE_LABELS = {"x": "X", "bluesky": "Bluesky", "hn": "Hacker News", "hf": "Hugging Face"}

# Where a digest came from and how complete it is (`Digest.status`):
IMPORTED = "imported"  # a Hot Papers blog post (`hotpapers import`): authoritative
COMPLETE = "complete"  # built from the live sources, every source asked answered
PARTIAL = "partial"  # built, but some sources failed: tried again later
SAMPLE = "sample"  # the bundled 2021-08-06 demo post: read from the package, never stored
STORED_STATUSES = (IMPORTED, COMPLETE, PARTIAL)


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
    """A paper's attention from one source: the reposts and likes of the posts counted
    (HN points and Hugging Face upvotes are `likes`), how many posts were counted (0:
    not known, as in the blog's archive) and the source's part of the score (None: its
    reposts + likes, the seed's rule)."""

    source: str
    reposts: int
    likes: int
    posts: int = 0
    score: float | None = None

    @property
    def attention(self) -> int:
        return self.reposts + self.likes

    @property
    def points(self) -> float:
        """What this source adds to the paper's score."""
        return float(self.attention) if self.score is None else self.score


@dataclass(frozen=True, slots=True)
class CountedPost:
    """How one post linking a paper was counted (what `hotpapers explain` lists).

    `factor` is 1 for a post counted in full, between 0 and 1 for one counted down
    (an auto-poster), 0 for one not counted (`rule` says why: "same-account",
    "self-post"); `points` = weight(source) x factor x (reposts + likes)."""

    arxiv_id: str
    mention: Mention
    factor: float = 1.0
    points: float = 0.0
    rule: str = ""  # "" when counted in full
    reason: str = ""  # one line for a person

    @property
    def counted(self) -> bool:
        return self.factor > 0


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
    listed_on: dt.date | None = None  # in a window: the day whose counts it carries


@dataclass(frozen=True, slots=True)
class Window:
    """A span of announcement days ranked together: an ISO week (`2021-W31`), a month
    (`2021-08`) or any range (`2021-08-02..2021-08-10`). `start`..`end` are the first and
    last days it covers, both included."""

    start: dt.date
    end: dt.date
    kind: str = "range"  # "week" | "month" | "range"

    @property
    def key(self) -> str:
        """`2021-W31`, `2021-08` or `2021-08-02..2021-08-10`: the window's name and key."""
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """`the week 2021-W31`, `July 2021`, `2021-08-02 to 2021-08-10`."""
        if self.kind == "week":
            return f"the week {self.key}"
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Digest:
    """The Hot Papers of one arXiv announcement day, or of a `window` of days (then
    `date` is the window's first day and each paper says the day it was listed).

    Provenance: `status` is IMPORTED, COMPLETE, PARTIAL or SAMPLE (see above). A built
    digest names the social sources it `asked`; those that answered are `sources`, those
    that failed `failed_sources` (always a part of `asked`). A source that could not
    cover the day at all (X's recent search reaches back 7 days) was not asked: it is a
    `coverage` note, not a failure. A PARTIAL digest carries when it may be built again
    (`retry_at`) and how many builds of the day fell short so far (`attempts`).
    `counted_at` is when the counts were taken.
    """

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
    window: Window | None = None
    # The day's page on the web archive (HOTPAPERS_PUBLIC_URL set), linked from the chat
    # messages; not stored: set by the publisher and the commands.
    web_url: str = ""
    status: str = COMPLETE
    asked: tuple[str, ...] = ()
    coverage: tuple[str, ...] = ()
    retry_at: dt.datetime | None = None
    attempts: int = 0

    @property
    def is_imported(self) -> bool:
        return self.status in (IMPORTED, SAMPLE)

    def meta_value(self, key: str, default: str = "") -> str:
        return dict(self.meta).get(key, default)

    @property
    def key(self) -> str:
        """What names this digest: `2021-08-06`, or the window's key (`2021-W31`)."""
        return self.window.key if self.window else self.date.isoformat()

    @property
    def period(self) -> str:
        """`2021-08-06`, or the window's label (`the week 2021-W31`, `July 2021`)."""
        return self.window.label if self.window else self.date.isoformat()

    @property
    def heading(self) -> str:
        if self.title:
            return self.title
        if self.window is None:
            return f"Hot Papers {self.date.isoformat()}"
        of = "of " if self.window.kind in ("week", "month") else ""
        return f"Hot Papers {of}{self.window.label}"

    def with_papers(self, papers: tuple[RankedPaper, ...], renumber: bool = True) -> Digest:
        """A view of this digest holding only `papers` (renumbered from 1 by default)."""
        if renumber:
            papers = tuple(replace(p, rank=i) for i, p in enumerate(papers, start=1))
        return replace(self, papers=papers)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why one paper ranks where it does in one digest: the paper as listed, the digest
    (its `meta` says how it was counted) and every post counted for it, or not, and why.
    `posts` is empty for a digest that kept no posts (the blog's archive)."""

    digest: Digest
    paper: RankedPaper
    posts: tuple[CountedPost, ...] = ()

    @property
    def imported(self) -> bool:
        return not self.posts


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build produced, with one-line notes for the user (sources used, failures).

    `digest` is the day's digest as it is stored now: the new build, or (`stored` False)
    the better digest that was already stored and was kept."""

    digest: Digest
    notes: tuple[str, ...] = ()
    stored: bool = True


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
    cadences: tuple[str, ...] = ("daily",)  # "daily", "weekly", "monthly"

    @property
    def target(self) -> str:
        """`platform:channel`, the form the CLI uses (`slack:C123`)."""
        return f"{self.platform}:{self.channel}"


@dataclass(frozen=True, slots=True)
class DeliveryRef:
    """Where a message landed on a platform (`permalink`: a link to it, where the
    platform has one)."""

    message_id: str
    thread_id: str | None = None
    permalink: str | None = None


PARENT = "parent"  # the part of a thread that is its parent message
ThreadKey = tuple[str, str, str, str]  # (digest_key, platform, channel, thread)


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """What a channel's view of a digest keeps: categories and filters (a
    `Subscription` without its channel). Categories are kept as typed, sorted."""

    categories: tuple[str, ...] = ()
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    include_authors: tuple[str, ...] = ()
    exclude_authors: tuple[str, ...] = ()
    min_score: int = 0
    max_papers: int | None = None


@dataclass(frozen=True, slots=True)
class ThreadPlan:
    """What one thread delivers, stored at its first attempt and delivered as stored
    by every later one: the view, what the parent says, the papers in order.

    A thread is (digest_key, platform, channel, thread): `digest_key` names the digest
    ("2021-08-06"; later windows like "2021-W31"), `thread` the thread generation: "1"
    for the first thread of a channel, "2", "3" ... for `post --again`, "hot:<id>" for
    an answer to a command. `parts` are arXiv ids (the parent comes first, unnamed).
    `view` is None for a thread posted before plans existed (migrated, "legacy")."""

    digest_key: str
    platform: str
    channel: str
    thread: str
    view: ViewSpec | None
    view_hash: str
    parts: tuple[str, ...]
    heading: str = ""
    notes: tuple[str, ...] = ()
    origin: str = ""  # daily | post | again | hot | legacy
    workspace: str = ""
    created_at: dt.datetime | None = None

    @property
    def target(self) -> str:
        return f"{self.platform}:{self.channel}"

    @property
    def legacy(self) -> bool:
        return self.view is None

    @property
    def all_parts(self) -> tuple[str, ...]:
        """The parent, then the papers: the order the thread is delivered in."""
        return (PARENT, *self.parts)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One ledger row: one message of one thread, keyed by (digest_key, platform,
    channel, thread, part) where `part` is "parent" or the paper's arXiv id (never a
    position; rows migrated from before plans existed carry "#n").

    `status`: "pending" (recorded before the send: in doubt until settled), "sent"
    (with the platform's message id), "failed" (refused for good), "in_doubt" (the send
    may have landed and the platform can't be read back: a webhook; never resent
    unless asked). `key` is the idempotency key sent with the message; `first_attempt_at`
    when it was first tried (read-back looks no further back); `attempts` how often."""

    digest_key: str
    platform: str
    channel: str
    thread: str
    part: str
    status: str
    workspace: str = ""
    message_id: str | None = None
    thread_id: str | None = None
    permalink: str | None = None
    key: str = ""
    detail: str = ""
    attempts: int = 0
    first_attempt_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @property
    def target(self) -> str:
        return f"{self.platform}:{self.channel}"

    @property
    def ref(self) -> DeliveryRef | None:
        if self.status != "sent" or not self.message_id:
            return None
        return DeliveryRef(self.message_id, self.thread_id, self.permalink)


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
