"""The archive's HTML pages against the real app on a local port, over the real 279-day
archive: day, latest, category (archives, aliases), paper, archive, search, error pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from bot.web.context import CONTEXT
from tests.bot.web.conftest import Web

AUG6_TITLES = [
    "Sketch Your Own GAN",
    "The AI Economist: Optimal Economic Policy Design via Two-level Deep Reinforcement Learning",
]


class Outline(HTMLParser):
    """What a reader (or a screen reader) gets from a page: headings, links, landmarks."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.links: list[tuple[str, str]] = []
        self.alternates: list[str] = []
        self.landmarks: list[str] = []
        self.lang = ""
        self._heading: int | None = None
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        if tag in ("main", "header", "footer", "nav"):
            self.landmarks.append(tag)
        if tag == "link" and a.get("rel") == "alternate":
            self.alternates.append(a.get("href") or "")
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._text = int(tag[1]), []
        if tag == "a":
            self._href, self._link_text = a.get("href") or "", []

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._text.append(data)
        if self._href is not None:
            self._link_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._heading, " ".join("".join(self._text).split())))
            self._heading = None
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._link_text).split())))
            self._href = None


def outline(html: str) -> Outline:
    o = Outline()
    o.feed(html)
    return o


def check_plain_structure(o: Outline) -> None:
    assert o.lang == "en"
    assert {"header", "main", "footer", "nav"} <= set(o.landmarks)
    assert [lvl for lvl, _ in o.headings].count(1) == 1 and o.headings[0][0] == 1
    for (a, _), (b, _) in zip(o.headings, o.headings[1:], strict=False):
        assert b <= a + 1, o.headings  # no skipped heading level
    assert all(text for _, text in o.links), "every link has text"
    assert "/feed.atom" in o.alternates


async def test_the_day_page_lists_the_11_papers_in_order(web: Web) -> None:
    html = await web.text("/2021-08-06")
    o = outline(html)
    check_plain_structure(o)
    digest = await web.core.store.get_digest(__import__("datetime").date(2021, 8, 6))
    assert digest is not None and len(digest.papers) == 11
    titles = [text for lvl, text in o.headings if lvl == 2]
    assert titles == [f"{rp.rank}. {' '.join(rp.paper.title.split())}" for rp in digest.papers]
    assert titles[:2] == [f"{i}. {t}" for i, t in enumerate(AUG6_TITLES, 1)]
    links = dict(o.links)
    assert ("/p/2108.02774", "Sketch Your Own GAN") in o.links
    assert "https://arxiv.org/abs/2108.02774" in links
    assert "https://arxiv.org/pdf/2108.02774" in links
    assert links["/c/cs.CV"] == "cs.CV"
    assert "score 2,842" in html and "X 2,597 reposts · 245 likes" in html
    assert "Sheng-Yu Wang, David Bau, Jun-Yan Zhu" in html
    assert "cross-domain adversarial loss" in html  # the abstract
    post = next(h for h, _ in o.links if "ak92501/status/1423445312602099712" in h)
    assert links[post].startswith("AK (@ak92501) on X")
    assert ("/2021-08-05", "← 2021-08-05") in o.links  # previous day; the last has no next
    assert not any(text.endswith("→") for _, text in o.links)
    assert "<script" not in html  # readable without JavaScript


async def test_latest_is_the_newest_day_and_navigation_links_both_ways(web: Web) -> None:
    assert await web.text("/") == await web.text("/2021-08-06")
    o = outline(await web.text("/2021-08-05"))
    assert ("/2021-08-06", "2021-08-06 →") in o.links and ("/2021-08-04", "← 2021-08-04") in o.links


async def test_missing_and_malformed_days(web: Web) -> None:
    html = await web.text("/2021-08-07", 404)
    assert "No digest for 2021-08-07" in html
    assert ('href="/2021-08-05"' in html and 'href="/2021-08-06"' in html)  # the nearest
    for bad in ("/2021-13-01", "/2021-02-30"):
        assert "is not a real date; type a day as /YYYY-MM-DD" in await web.text(bad, 400)
    assert "is not a date; type a day as /YYYY-MM-DD" in await web.text("/2021-8-6", 400)
    assert "2021 has no ISO week 54" in await web.text("/2021-W54", 400)
    assert "2021-13&#39; is not a month" in await web.text("/2021-13", 400)
    assert "No digest is stored for any day of January 2019" in await web.text("/2019-01", 404)
    assert "Nothing is published at /no/such/page" in await web.text("/no/such/page", 404)


async def test_week_and_month_pages(web: Web) -> None:
    from bot.dates import iso_week
    from bot.lookup import window_for

    html = await web.text("/2021-W31")
    o = outline(html)
    check_plain_structure(o)
    digest, _ = await window_for(web.core.store, web.core.settings, iso_week(2021, 31))
    assert o.headings[0] == (1, "Hot Papers of the week 2021-W31")
    titles = [text for lvl, text in o.headings if lvl == 2]
    assert titles == [f"{rp.rank}. {' '.join(rp.paper.title.split())}" for rp in digest.papers]
    assert len(titles) == 30 and "5 stored days, 2021-08-02 to 2021-08-06" in html
    assert "listed 2021-08-06" in html  # Sketch Your Own GAN's day
    assert ("/2021-W30", "← 2021-W30") in o.links
    assert not any(h == "/2021-W32" for h, _ in o.links)  # nothing stored after it
    month = outline(await web.text("/2021-07"))
    assert month.headings[0] == (1, "Hot Papers of July 2021")
    assert ("/2021-06", "← 2021-06") in month.links and ("/2021-08", "2021-08 →") in month.links


async def test_category_pages_across_days(web: Web) -> None:
    html = await web.text("/c/cs.CV")
    o = outline(html)
    check_plain_structure(o)
    assert o.headings[0] == (1, "cs.CV: Computer Vision and Pattern Recognition")
    days = [text for lvl, text in o.headings if lvl == 2]
    assert days[0] == "2021-08-06" and days == sorted(days, reverse=True) and len(days) > 1
    assert "/c/cs.CV.atom" in o.alternates
    cards = re.findall(r'<article class="paper".*?</article>', html, re.S)
    assert len(cards) == 40 and all('href="/c/cs.CV"' in c for c in cards)

    archive = await web.text("/c/cs")  # an archive: every cs.* category
    assert outline(archive).headings[0] == (1, "cs: Computer Science")
    assert 'href="/c/cs.LG"' in archive and 'href="/c/cs.CV"' in archive

    alias = await web.text("/c/cs.NA")  # an alias of math.NA: both are understood
    assert "cs.NA is math.NA" in alias
    cards = re.findall(r'<article class="paper".*?</article>', alias, re.S)
    assert cards and all('href="/c/math.NA"' in c or 'href="/c/cs.NA"' in c for c in cards)
    assert "Did you mean cs.CV" in await web.text("/c/cs.CVV", 404)


async def test_the_paper_page(web: Web) -> None:
    html = await web.text("/p/2108.02774")
    o = outline(html)
    check_plain_structure(o)
    assert o.headings[:3] == [(1, "Sketch Your Own GAN"), (2, "Listed on"), (2, "Posts")]
    assert ("/2021-08-06#rank-1", "2021-08-06") in o.links
    assert "#1, score 2,842 (X 2,597 reposts · 245 likes)" in html
    assert any(h.startswith("https://twitter.com/ak92501/status/") for h, _ in o.links)
    moved = await web.get("/p/2108.02774v3")
    assert moved.status == 301 and moved.headers["Location"] == "/p/2108.02774"
    assert "has not been listed in a stored digest" in await web.text("/p/2108.99999", 404)
    assert "is not an arXiv id" in await web.text("/p/hello", 400)


async def test_a_paper_listed_on_several_days(web: Web) -> None:
    # a paper the archive lists on more than one day shows every listing, newest first
    from sqlalchemy import func, select

    from bot.store import schema as t

    dp = t.digest_papers
    async with web.core.store.engine.connect() as conn:
        arxiv_id, n = (await conn.execute(
            select(dp.c.arxiv_id, func.count()).group_by(dp.c.arxiv_id)
            .having(func.count() > 1).order_by(dp.c.arxiv_id).limit(1))).one()
    o = outline(await web.text(f"/p/{arxiv_id}"))
    days = [text for href, text in o.links if re.fullmatch(r"/\d{4}-\d{2}-\d{2}#rank-\d+", href)]
    assert len(days) == n and days == sorted(days, reverse=True)


async def test_the_archive_page_has_every_day_by_month(web: Web) -> None:
    o = outline(await web.text("/archive"))
    check_plain_structure(o)
    months = [text for lvl, text in o.headings if lvl == 2]
    assert months[0] == "August 2021" and months[-1] == "June 2020"
    days = [href for href, _ in o.links if re.fullmatch(r"/\d{4}-\d{2}-\d{2}", href)]
    assert len(days) == 279 and days[0] == "/2021-08-06" and days[-1] == "/2020-06-29"


async def test_search(web: Web) -> None:
    html = await web.text("/search?q=sketch+gan")
    o = outline(html)
    check_plain_structure(o)
    hits = [text for lvl, text in o.headings if lvl == 2]
    assert hits[0] == "Sketch Your Own GAN"
    assert 'value="sketch gan"' in html
    everything = await web.text("/search?q=learning")
    assert "More results →" in everything and 'start="1"' in everything
    second = await web.text("/search?q=learning&page=2")
    assert 'start="26"' in second and "← Previous results" in second
    assert "has no word to search for" in await web.text("/search?q=%22%22", 400)
    assert "Type words from a title" in await web.text("/search")
    assert "&lt;script&gt;" in await web.text("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")


async def test_the_app_reports_its_routes(web: Web) -> None:
    ctx = web.app[CONTEXT]
    assert ctx.public_url == "https://hot.example.org"
    resp = await web.get("/healthz")
    assert resp.status == 200 and (await resp.json())["latest"] == "2021-08-06"
