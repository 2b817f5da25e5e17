"""One Hot Papers blog post (Markdown, format in ../shared/data/README.md) -> `Digest`.

The parser keeps every field the markdown renderer needs to write the post back byte
for byte: titles and abstracts exactly as printed, each embedded tweet's HTML, and the
few layout values that vary between posts (in `Digest.meta`, see `post_format`).
Mojibake (UTF-8 read as Mac Roman or cp1252) is repaired with ftfy first, plus the
Mac Roman reading of 4-byte emoji that ftfy leaves (🧵 read as `\uf8ffüßµ`); a line
that still holds mojibake or lost bytes (U+FFFD) is an error naming it. Every error is
one line `FILE:LINE: problem`, its line never past the end of the file; numbers too
large for the store are errors too.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import ftfy

from bot.errors import ArchiveFormatError
from bot.models import IMPORTED, Digest, Mention, Paper, RankedPaper, SourceCount
from bot.render.post_format import (
    META_COUNTED_PREFIX,
    META_FRONT_MATTER,
    META_LEAD_BLANKS,
    STAMP_FORMAT,
    default_front_matter,
    default_lead_blanks,
)
from bot.store.schema import MAX_INTEGER

SOURCE = "x"
_HEADING = re.compile(r"^# (\d+)\. (.*)$")
_COUNTS = re.compile(r"^- retweets: (\d+), favorites: (\d+) \((\d\d/\d\d/\d{4} \d\d:\d\d:\d\d)\)$")
_LINKS = re.compile(
    r"^- links: \[abs\]\(https://arxiv\.org/abs/(\S+?)\) \| \[pdf\]\(https://arxiv\.org/pdf/(\S+?)\)$"
)
_CATEGORY = re.compile(r"^\[([^\]]+)\]\(https://arxiv\.org/list/\1/recent\)$")
_VERSION = re.compile(r"v\d+$")
_FM_DATE = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)")
_TITLE_DATE = re.compile(r"(\d{4}-\d\d-\d\d)")
_TWEET = re.compile(
    r'^<blockquote class="twitter-tweet"[^>]*><p(?: lang="(?P<lang>[^"]*)")?[^>]*>(?P<text>.*)</p>'
    r"&mdash; (?P<name>.*) \(@(?P<handle>[^)]*)\) "
    r'<a href="(?P<url>[^"?]+)(?:\?[^"]*)?">(?P<date>[^<]*)</a></blockquote>$'
)
_MAC_ROMAN_4BYTE = re.compile("\uf8ff[\u0080-\uffff]{3}")  # F0 xx xx xx read as Mac Roman
_UNREPAIRED = ("\uf8ff", "\ufffd")  # a 4-byte lead read as Mac Roman; bytes already lost
_STATUS_URL = re.compile(r"https://(?:mobile\.)?twitter\.com/[^/\"?]+/status/\d+")
_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def repair_text(text: str) -> str:
    """Undo mojibake and normalise line endings; clean UTF-8 text comes back unchanged.
    Line by line, and only lines with non-ASCII characters: ftfy is slow on long text."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    return "\n".join(line if line.isascii() else _repair_line(line) for line in lines)


def _repair_line(line: str) -> str:
    return _MAC_ROMAN_4BYTE.sub(_mac_roman_emoji, ftfy.fix_encoding(line))


def _mac_roman_emoji(m: re.Match[str]) -> str:
    """`\uf8ffüßµ` -> 🧵: four characters that are one 4-byte UTF-8 character read as Mac
    Roman (ftfy leaves these when the line has no other mojibake)."""
    try:
        fixed = m[0].encode("mac_roman").decode("utf-8")
    except UnicodeError:
        return m[0]
    return fixed if len(fixed) == 1 and ord(fixed) > 0xFFFF else m[0]


@dataclass
class _Lines:
    """The post's lines with a cursor; errors name the 1-based line, never one past the
    file's last line (a file ending in a newline splits into one more, empty, item)."""

    name: str
    lines: list[str]
    pos: int = 0

    @property
    def last_line(self) -> int:
        n = len(self.lines) - (1 if len(self.lines) > 1 and self.lines[-1] == "" else 0)
        return max(1, n)

    def error(self, problem: str, pos: int | None = None) -> ArchiveFormatError:
        line = (self.pos if pos is None else pos) + 1
        return ArchiveFormatError(self.name, max(1, min(line, self.last_line)), problem)

    @property
    def current(self) -> str | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def take(self, what: str) -> str:
        line = self.current
        if line is None:
            raise self.error(f"the post ends where {what} was expected")
        self.pos += 1
        return line

    def blank(self, after: str) -> None:
        line = self.take(f"a blank line after {after}")
        if line.strip():
            raise self.error(f"expected a blank line after {after}, found {_quote(line)}",
                             self.pos - 1)

    def skip_blanks(self) -> int:
        n = 0
        while self.current is not None and not self.current.strip():
            self.pos += 1
            n += 1
        return n


def _quote(line: str, limit: int = 40) -> str:
    return repr(line if len(line) <= limit else line[:limit] + "…")


def parse_post(text: str, name: str = "<post>") -> Digest:
    """Parse one Hot Papers post; raises ArchiveFormatError (one line) on malformed input."""
    src = _Lines(name, repair_text(text).split("\n"))
    _check_text(src)
    date, counted_at, title, front = _front_matter(src)
    lead = src.skip_blanks()
    papers: list[RankedPaper] = []
    stamps: dict[str, dt.datetime] = {}
    while src.current is not None:
        ranked, stamp = _paper(src)
        if any(p.paper.arxiv_id == ranked.paper.arxiv_id for p in papers):
            raise src.error(f"paper {ranked.paper.arxiv_id} is listed twice", src.pos - 1)
        papers.append(ranked)
        stamps[ranked.paper.arxiv_id] = stamp
    digest = Digest(
        date=date, papers=_merge_mention_ids(papers), counted_at=counted_at,
        sources=(SOURCE,), title=title, status=IMPORTED,
    )
    meta: dict[str, str] = {}
    if front != default_front_matter(digest):
        meta[META_FRONT_MATTER] = "\n".join(front)
    if papers and lead != default_lead_blanks(len(papers)):
        meta[META_LEAD_BLANKS] = str(lead)
    for arxiv_id, stamp in stamps.items():
        if stamp != counted_at:
            meta[META_COUNTED_PREFIX + arxiv_id] = stamp.isoformat()
    return replace(digest, meta=tuple(sorted(meta.items())))


def _check_text(src: _Lines) -> None:
    """Text no store keeps as it is: a NUL character, mojibake the repair left."""
    for i, line in enumerate(src.lines):
        if "\x00" in line:
            raise src.error("a NUL character: this is not a text file", i)
        if any(c in line for c in _UNREPAIRED):
            raise src.error("garbled text (mojibake) that could not be repaired: "
                            f"{_quote(line)}; fix this line and import again", i)


def _number(src: _Lines, digits: str, what: str, pos: int) -> int:
    """A count or rank from the post; too large for the store is an error, not a crash."""
    if len(digits) > len(str(MAX_INTEGER)) or int(digits) > MAX_INTEGER:
        shown = digits if len(digits) <= 24 else f"{digits[:12]}… ({len(digits)} digits)"
        raise src.error(f"{what} {shown} is too large to store (at most {MAX_INTEGER})", pos)
    return int(digits)


def _front_matter(src: _Lines) -> tuple[dt.date, dt.datetime, str, list[str]]:
    if src.take("the front matter") != "---":
        raise src.error("a post starts with a '---' line (the front matter)", 0)
    try:
        end = src.lines.index("---", 1)
    except ValueError:
        raise src.error("the front matter is not closed by a '---' line", 0) from None
    front = src.lines[1:end]
    values: dict[str, tuple[int, str]] = {}
    for i, line in enumerate(front, start=1):
        key, sep, value = line.partition(":")
        if sep and key and not key.startswith(" "):
            values.setdefault(key.strip(), (i, value.strip()))
    title_line, title = values.get("title", (0, ""))
    found = _TITLE_DATE.search(title) or _TITLE_DATE.search(values.get("slug", (0, ""))[1])
    if not found:
        raise src.error("the front matter needs 'title: Hot Papers YYYY-MM-DD'", title_line)
    try:
        date = dt.date.fromisoformat(found[1])
    except ValueError:
        raise src.error(f"{found[1]} is not a real date", title_line) from None
    date_line, when = values.get("date", (0, ""))
    m = _FM_DATE.match(when)
    if not m:
        raise src.error("the front matter needs 'date: YYYY-MM-DDTHH:MM:SS.Z'", date_line)
    try:
        counted_at = dt.datetime.fromisoformat(f"{m[1]}T{m[2]}").replace(tzinfo=dt.UTC)
    except ValueError:
        raise src.error(f"{when} is not a real time", date_line) from None
    src.pos = end + 1
    heading = "" if title == f"Hot Papers {date.isoformat()}" else title
    return date, counted_at, heading, front


def _paper(src: _Lines) -> tuple[RankedPaper, dt.datetime]:
    start = src.pos
    m = _HEADING.match(src.take("a paper heading"))
    if not m:
        raise src.error(f"expected a paper heading '# N. Title', found {_quote(src.lines[start])}",
                        start)
    rank, title = _number(src, m[1], "rank", start), m[2]
    src.blank("the paper heading")
    authors_line = src.take("the authors")
    src.blank("the authors")
    counts = _COUNTS.match(src.take("the counts"))
    if not counts:
        raise src.error("expected '- retweets: R, favorites: F (MM/DD/YYYY HH:MM:SS)'",
                        src.pos - 1)
    reposts = _number(src, counts[1], "retweets", src.pos - 1)
    likes = _number(src, counts[2], "favorites", src.pos - 1)
    if reposts + likes > MAX_INTEGER:
        raise src.error(f"retweets + favorites ({reposts + likes}) is too large to store "
                        f"(at most {MAX_INTEGER})", src.pos - 1)
    try:
        stamp = dt.datetime.strptime(counts[3], STAMP_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        raise src.error(f"({counts[3]}) is not a real time", src.pos - 1) from None
    src.blank("the counts")
    links = _LINKS.match(src.take("the abs/pdf links"))
    if not links or links[1] != links[2]:
        raise src.error("expected '- links: [abs](https://arxiv.org/abs/ID) | "
                        "[pdf](https://arxiv.org/pdf/ID)' with the same ID", src.pos - 1)
    arxiv_id = _VERSION.sub("", links[1])
    categories = _categories(src)
    src.blank("the category links")
    abstract = src.take("the abstract")
    src.blank("the abstract")
    mentions = tuple(_mentions(src, arxiv_id))
    paper = Paper(arxiv_id=arxiv_id, title=title, authors=tuple(authors_line.split(", ")),
                  categories=categories, abstract=abstract)
    ranked = RankedPaper(rank=rank, paper=paper, score=reposts + likes, reposts=reposts,
                         likes=likes, mentions=mentions,
                         by_source=(SourceCount(SOURCE, reposts, likes),))
    return ranked, stamp


def _categories(src: _Lines) -> tuple[str, ...]:
    line = src.take("the category links")
    if not line.startswith("- "):
        raise src.error("expected the category links '- [cs.LG](https://arxiv.org/list/cs.LG/"
                        "recent) | ...'", src.pos - 1)
    out = []
    for item in line[2:].split(" | "):
        m = _CATEGORY.match(item)
        if not m:
            raise src.error(f"bad category link {_quote(item)}", src.pos - 1)
        out.append(m[1])
    return tuple(out)


def _mentions(src: _Lines, arxiv_id: str) -> Iterator[Mention]:
    """The embedded tweets up to the next paper heading (or the end of the post)."""
    while True:
        src.skip_blanks()
        line = src.current
        if line is None or _HEADING.match(line):
            return
        if not line.startswith("<blockquote"):
            raise src.error(f"expected an embedded tweet or the next '# N. Title', found "
                            f"{_quote(line)}")
        at = src.pos
        src.pos += 1
        script = src.current
        if script is None or not script.startswith("<script"):
            raise src.error("an embedded tweet must be followed by its <script> line", at)
        src.pos += 1
        yield _mention(src, at, f"{line}\n{script}", arxiv_id)


def _mention(src: _Lines, at: int, embed: str, arxiv_id: str) -> Mention:
    quote = embed.partition("\n")[0]
    m = _TWEET.match(quote)
    if m is None:
        url = _STATUS_URL.search(quote)
        if url is None:
            raise src.error("the embedded tweet has no twitter.com status link", at)
        return Mention(source=SOURCE, url=url[0], arxiv_ids=(arxiv_id,),
                       text=_plain(quote), embed_html=embed)
    return Mention(
        source=SOURCE,
        url=m["url"],
        arxiv_ids=(arxiv_id,),
        author_name=html.unescape(m["name"]),
        author_handle=m["handle"],
        posted_at=_posted(m["date"]),
        text=_plain(m["text"]),
        language=m["lang"] or None,
        embed_html=embed,
    )


def _plain(fragment: str) -> str:
    return html.unescape(_TAG.sub("", _BR.sub("\n", fragment)))


def _posted(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text.strip(), "%B %d, %Y").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _merge_mention_ids(papers: list[RankedPaper]) -> tuple[RankedPaper, ...]:
    """A tweet embedded under several papers links all of them (one stored row per tweet)."""
    ids: dict[str, list[str]] = {}
    for rp in papers:
        for m in rp.mentions:
            linked = ids.setdefault(m.url, [])
            if rp.paper.arxiv_id not in linked:
                linked.append(rp.paper.arxiv_id)
    return tuple(
        replace(rp, mentions=tuple(replace(m, arxiv_ids=tuple(ids[m.url])) for m in rp.mentions))
        for rp in papers
    )
