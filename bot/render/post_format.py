"""What the Hot Papers blog post format fixes, shared by the parser and the markdown
renderer: the default front matter, the count stamp, and the `Digest.meta` keys that
carry the few layout values that vary between posts."""

from __future__ import annotations

import datetime as dt

from bot.models import Digest

# The embed script every embedded tweet is followed by.
TWEET_SCRIPT = (
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)
STAMP_FORMAT = "%m/%d/%Y %H:%M:%S"  # "(08/07/2021 17:48:26)" after the counts
FRONT_MATTER_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.Z"  # "date: 2021-08-07T17:48:26.Z"

# Digest.meta keys (all optional; absent means the default layout).
META_FRONT_MATTER = "front_matter"  # the front matter lines, only when not the default
META_LEAD_BLANKS = "blank_lines_after_front_matter"  # default: 1 (0 without papers)
META_COUNTED_PREFIX = "counted_at/"  # + arxiv id: that paper's count stamp (ISO, UTC)


def default_front_matter(digest: Digest) -> list[str]:
    """The front matter lines (between the `---` lines) the blog wrote for `digest`."""
    day = digest.date.isoformat()
    return [
        f"title: {digest.heading}",
        f"date: {utc(digest.counted_at).strftime(FRONT_MATTER_DATE_FORMAT)}",
        'template: "post"',
        "draft: false",
        f'slug: "hot-papers-{day}"',
        'category: "arXiv"',
        "tags:",
        '  - "arXiv"',
        '  - "Twitter"',
        '  - "Machine Learning"',
        '  - "Computer Science"',
        f'description: "Hot papers {day}"',
        'socialImage: "/media/flying-marine.jpg"',
        "",
    ]


def default_lead_blanks(n_papers: int) -> int:
    return 1 if n_papers else 0


def utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def paper_counted_at(digest: Digest, arxiv_id: str) -> dt.datetime:
    """When the counts of one paper were taken (the digest's `counted_at` by default)."""
    stamp = digest.meta_value(META_COUNTED_PREFIX + arxiv_id)
    return dt.datetime.fromisoformat(stamp) if stamp else utc(digest.counted_at)
