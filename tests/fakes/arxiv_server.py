"""A fake arXiv on 127.0.0.1: the RSS feed, the API (`id_list` and `search_query`,
GET or POST, Atom in the 2025+ format of ../shared/data/arxiv/api/) and OAI-PMH
ListRecords (arXivRaw, resumptionToken pages).

It enforces arXiv's terms as a real server would: a request that comes sooner than
`min_interval` after the previous one gets 429 with Retry-After, and the most requests
ever in flight at once is recorded. Failures on command: `fail_next(n, status,
retry_after)` and `empty_next(n)` (a spurious empty page: 200, no entries, a non-zero
totalResults). Every request is logged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from aiohttp import web

from bot.models import Paper

PARAMS: web.RequestKey[dict[str, str]] = web.RequestKey("params", dict)

ID_OK = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})$")


@dataclass(frozen=True)
class FakeArxivPaper:
    paper: Paper
    submitted: dt.datetime  # v1 submission time (UTC)
    announced: dt.date  # listing date
    announce_type: str = "new"  # new | cross | replace | replace-cross


@dataclass
class LoggedRequest:
    at: float
    method: str
    path: str
    params: dict[str, str]
    status: int = 200


@dataclass
class ArxivFake:
    papers: list[FakeArxivPaper] = field(default_factory=list)
    rss_date: dt.date | None = None
    latency: float = 0.0
    min_interval: float = 0.0
    oai_page_size: int = 1000
    log: list[LoggedRequest] = field(default_factory=list)
    max_in_flight: int = 0
    _in_flight: int = 0
    _last_at: float = -1e9
    _failures: list[tuple[int, float | None]] = field(default_factory=list)
    _empties: int = 0
    runner: web.AppRunner | None = None
    url: str = ""

    # --- control --------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 503, retry_after: float | None = None) -> None:
        self._failures.extend([(status, retry_after)] * n)

    def empty_next(self, n: int = 1) -> None:
        self._empties += n

    def requests(self, path_part: str = "") -> list[LoggedRequest]:
        return [r for r in self.log if path_part in r.path]

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/rss/{spec}", self._rss)
        app.router.add_route("*", "/api/query", self._api)
        app.router.add_route("*", "/oai", self._oai)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    # --- plumbing ---------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        request[PARAMS] = params
        now = time.monotonic()
        entry = LoggedRequest(now, request.method, request.path, params)
        self.log.append(entry)
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            too_soon = now - self._last_at < self.min_interval * 0.95
            self._last_at = now
            if self.latency:
                await asyncio.sleep(self.latency)
            if too_soon:
                entry.status = 429
                return web.Response(status=429, text="Rate exceeded.",
                                    headers={"Retry-After": str(max(1, round(self.min_interval)))})
            if self._failures:
                status, retry_after = self._failures.pop(0)
                entry.status = status
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return web.Response(status=status, text="Service Unavailable", headers=headers)
            resp: web.StreamResponse = await handler(request)
            entry.status = resp.status
            return resp
        finally:
            self._in_flight -= 1

    def _take_empty(self) -> bool:
        if self._empties:
            self._empties -= 1
            return True
        return False

    # --- RSS --------------------------------------------------------------------
    async def _rss(self, request: web.Request) -> web.Response:
        spec = request.match_info["spec"].split("+")
        items = [p for p in self.papers if p.announced == self.rss_date
                 and _matches(p.paper, spec)] if self.rss_date else []
        return web.Response(text=rss_xml(self.rss_date, items, "+".join(spec)),
                            content_type="application/rss+xml")

    # --- API --------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        params = request[PARAMS]
        start = int(params.get("start", "0"))
        size = min(int(params.get("max_results", "10")), 2000)
        if params.get("id_list"):
            ids = [i.strip() for i in params["id_list"].split(",") if i.strip()]
            bad = [i for i in ids if not ID_OK.match(re.sub(r"v\d+$", "", i))]
            if bad:
                return web.Response(status=400, text=error_feed(bad[0]),
                                    content_type="application/atom+xml")
            by_id = {p.paper.arxiv_id: p.paper for p in self.papers}
            found = [by_id[i] for i in (re.sub(r"v\d+$", "", x) for x in ids) if i in by_id]
        else:
            found = [p.paper for p in self._search(params.get("search_query", ""))]
        page = found[start : start + size]
        if self._take_empty():
            page = []
        return web.Response(text=atom_feed(page, len(found), start, size),
                            content_type="application/atom+xml")

    def _search(self, query: str) -> list[FakeArxivPaper]:
        cats = set(re.findall(r"cat:([\w.\-]+)", query))
        m = re.search(r"submittedDate:\[(\d{12}) TO (\d{12})\]", query)
        lo = hi = None
        if m:
            lo = dt.datetime.strptime(m[1], "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
            hi = dt.datetime.strptime(m[2], "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
            hi += dt.timedelta(seconds=59)
        out = [p for p in self.papers
               if (not cats or cats & set(p.paper.categories))
               and (lo is None or hi is None or lo <= p.submitted <= hi)]
        return sorted(out, key=lambda p: (p.submitted, p.paper.arxiv_id))

    # --- OAI-PMH ----------------------------------------------------------------
    async def _oai(self, request: web.Request) -> web.Response:
        params = request[PARAMS]
        token = params.get("resumptionToken")
        if token:
            frm, until, set_spec, skip_s = token.split("|")
            skip = int(skip_s)
        else:
            frm, until, set_spec, skip = (params.get("from", ""), params.get("until", ""),
                                          params.get("set", ""), 0)
        records = [p for p in self.papers
                   if (not frm or p.announced.isoformat() >= frm)
                   and (not until or p.announced.isoformat() <= until)
                   and (not set_spec or any(_set_of(c).startswith(set_spec)
                                            for c in p.paper.categories))]
        records.sort(key=lambda p: p.paper.arxiv_id)
        if not records:
            return web.Response(text=OAI_NO_RECORDS, content_type="text/xml")
        page = [] if self._take_empty() else records[skip : skip + self.oai_page_size]
        nxt = skip + self.oai_page_size
        next_token = f"{frm}|{until}|{set_spec}|{nxt}" if nxt < len(records) else ""
        return web.Response(text=oai_xml(page, next_token, len(records), skip),
                            content_type="text/xml")


# --- documents ------------------------------------------------------------------
def _matches(paper: Paper, spec: list[str]) -> bool:
    return any(c == s or c.split(".")[0] == s for c in paper.categories for s in spec)


def _set_of(category: str) -> str:
    archive, _, sub = category.partition(".")
    group = archive if archive in ("cs", "econ", "eess", "math", "q-bio", "q-fin", "stat") \
        else "physics"
    return f"{group}:{archive}:{sub}" if sub else f"{group}:{archive}"


def rss_xml(date: dt.date | None, items: list[FakeArxivPaper], spec: str) -> str:
    pub = (dt.datetime.combine(date, dt.time(0, 0), dt.timezone(dt.timedelta(hours=-4)))
           .strftime("%a, %d %b %Y %H:%M:%S %z")) if date else ""
    out = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">',
        "<channel>",
        f"<title>{escape(spec)} updates on arXiv.org</title>",
        f"<link>http://rss.arxiv.org/rss/{escape(spec)}</link>",
        "<description>updates on the arXiv.org e-print archive.</description>",
        "<language>en-us</language>",
        f"<pubDate>{pub}</pubDate>" if pub else "",
        "<skipDays><day>Sunday</day><day>Saturday</day></skipDays>",
    ]
    for it in items:
        p = it.paper
        cats = "".join(f"<category>{escape(c)}</category>" for c in p.categories)
        out.append(
            f"<item><title>{escape(p.title)}</title>"
            f"<link>https://arxiv.org/abs/{p.arxiv_id}</link>"
            f"<description>arXiv:{p.arxiv_id}v1 Announce Type: {it.announce_type} \n"
            f"Abstract: {escape(p.abstract)}</description>"
            f'<guid isPermaLink="false">oai:arXiv.org:{p.arxiv_id}v1</guid>{cats}'
            f"<pubDate>{pub}</pubDate>"
            f"<arxiv:announce_type>{it.announce_type}</arxiv:announce_type>"
            "<dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>"
            f"<dc:creator>{escape(', '.join(p.authors))}</dc:creator></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out)


def atom_entry(p: Paper) -> str:
    authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in p.authors)
    cats = "".join(f'<category term="{escape(c)}" scheme="http://arxiv.org/schemas/atom"/>'
                   for c in p.categories)
    primary = f'<arxiv:primary_category term="{escape(p.categories[0])}"/>' \
        if p.categories else ""
    return (
        f"<entry><id>http://arxiv.org/abs/{p.arxiv_id}v1</id>"
        f"<title>{escape(p.title)}</title><updated>2021-08-05T17:59:59Z</updated>"
        f'<link href="https://arxiv.org/abs/{p.arxiv_id}v1" rel="alternate" type="text/html"/>'
        f"<summary>{escape(p.abstract)}</summary>{cats}"
        f"<published>2021-08-05T17:59:59Z</published>{primary}{authors}</entry>"
    )


def atom_feed(papers: list[Paper], total: int, start: int, size: int) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">'
        "<id>https://arxiv.org/api/fake</id><title>arXiv Query</title>"
        "<updated>2026-04-12T22:09:36Z</updated>"
        f"<opensearch:itemsPerPage>{size}</opensearch:itemsPerPage>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        + "".join(atom_entry(p) for p in papers) + "</feed>"
    )


def error_feed(bad: str) -> str:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">'
        "<id>https://arxiv.org/</id><title>arXiv Search Results</title>"
        "<opensearch:itemsPerPage>1</opensearch:itemsPerPage>"
        "<opensearch:totalResults>1</opensearch:totalResults>"
        "<opensearch:startIndex>0</opensearch:startIndex>"
        f"<entry><id>https://arxiv.org/api/errors#incorrect_id_format_for_{escape(bad)}</id>"
        f"<title>Error</title><summary>incorrect id format for {escape(bad)}</summary>"
        "<author><name>arXiv api core</name></author></entry></feed>"
    )


def oai_xml(records: list[FakeArxivPaper], token: str, total: int, cursor: int) -> str:
    body = []
    for r in records:
        p = r.paper
        sets = "".join(f"<setSpec>{_set_of(c)}</setSpec>" for c in p.categories)
        body.append(
            f"<record><header><identifier>oai:arXiv.org:{p.arxiv_id}</identifier>"
            f"<datestamp>{r.announced.isoformat()}</datestamp>{sets}</header><metadata>"
            '<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
            f"<id>{p.arxiv_id}</id><version version=\"v1\"><date>"
            f"{r.submitted.strftime('%a, %d %b %Y %H:%M:%S GMT')}</date></version>"
            f"<title>{escape(p.title)}</title><authors>{escape(', '.join(p.authors))}</authors>"
            f"<categories>{escape(' '.join(p.categories))}</categories>"
            f"<abstract>{escape(p.abstract)}</abstract></arXivRaw></metadata></record>"
        )
    resumption = (f'<resumptionToken cursor="{cursor}" completeListSize="{total}">'
                  f"{escape(token)}</resumptionToken>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-09-14T10:49:50Z</responseDate>"
        '<request verb="ListRecords">http://oaipmh.arxiv.org/oai</request>'
        f"<ListRecords>{''.join(body)}{resumption}</ListRecords></OAI-PMH>"
    )


OAI_NO_RECORDS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
    "<responseDate>2026-09-14T10:49:50Z</responseDate>"
    '<request verb="ListRecords">http://oaipmh.arxiv.org/oai</request>'
    '<error code="noRecordsMatch">The combination of the values of the from, until, set and '
    "metadataPrefix arguments results in an empty list.</error></OAI-PMH>"
)


# --- generated days ---------------------------------------------------------------
CS_CATS = ("cs.LG", "cs.CV", "cs.CL", "cs.AI", "cs.RO", "cs.CR", "cs.SE", "cs.IT", "stat.ML")
OTHER_CATS = ("quant-ph", "math.OC", "eess.AS", "physics.chem-ph", "q-bio.NC")


def make_day(
    date: dt.date,
    n: int,
    *,
    seed: int = 0,
    cross_share: float = 0.2,
    replacements: int = 0,
    outside: int = 0,
) -> list[FakeArxivPaper]:
    """`n` papers listed on `date` (cs + stat.ML; a share cross-listed from other
    archives), submitted inside the day's submission window, plus `replacements`
    (announce_type replace, submitted long before) and `outside` papers of other
    archives only (not in the listing)."""
    from bot.arxiv.days import submission_window

    rng = random.Random(seed)
    start, end = submission_window(date)
    span = (end - start).total_seconds()
    yymm = date.strftime("%y%m")
    out = []
    for i in range(n + replacements + outside):
        arxiv_id = f"{yymm}.{10000 + seed * 10000 + i:05d}"
        if i < n:
            cats = list(rng.sample(CS_CATS, rng.randint(1, 3)))
            kind = "new"
            if rng.random() < cross_share:
                cats.insert(0, rng.choice(OTHER_CATS))
                kind = "cross"
            submitted = start + dt.timedelta(seconds=rng.uniform(0, span - 61))
        elif i < n + replacements:
            cats, kind = [rng.choice(CS_CATS)], "replace"
            submitted = start - dt.timedelta(days=rng.randint(10, 300))
        else:
            cats, kind = [rng.choice(OTHER_CATS)], "new"
            submitted = start + dt.timedelta(seconds=rng.uniform(0, span - 61))
        paper = Paper(
            arxiv_id=arxiv_id,
            title=f"Paper {i} about {rng.choice(['GANs', 'graphs', 'robots', 'LLMs'])}",
            authors=tuple(f"Author {rng.randint(1, 999)}" for _ in range(rng.randint(1, 4))),
            categories=tuple(dict.fromkeys(cats)),
            abstract=" ".join([f"We study problem {i}."] * 3),
        )
        out.append(FakeArxivPaper(paper, submitted.astimezone(dt.UTC), date, kind))
    return out
