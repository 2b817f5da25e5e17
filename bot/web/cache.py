"""Rendered pages kept in process, with conditional and compressed responses.

Every page, feed and API answer is rendered once into a `Rendered` (the body, its gzip
twin, a strong ETag, Last-Modified) and kept in a bounded LRU (cachetools). Entries carry
the store's *generation* (`bot.store.browse.generation`: how many digests are stored and
when the newest was saved); the cache asks the store for it at most every `check_every`
seconds and drops everything when it changed, so a day stored by another process (the
worker) shows up within that time, and one stored by this process at once (`invalidate`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from cachetools import LRUCache

from bot.store import Store
from bot.store.browse import generation

GZIP_FROM = 512  # bytes: smaller bodies are sent as they are
MAX_BYTES = 64 * 1024 * 1024
CACHE_CONTROL = "public, max-age=60"

Generation = tuple[int, dt.datetime | None]


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    content_type: str  # with charset where it applies
    status: int = 200
    last_modified: dt.datetime | None = None
    gzipped: bytes | None = None
    etag: str = ""

    @classmethod
    def of(cls, body: str | bytes, content_type: str, *, status: int = 200,
           last_modified: dt.datetime | None = None) -> Rendered:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        small = len(raw) < GZIP_FROM
        return cls(
            body=raw, content_type=content_type, status=status,
            last_modified=last_modified.replace(microsecond=0) if last_modified else None,
            gzipped=None if small else gzip.compress(raw, compresslevel=6, mtime=0),
            etag=hashlib.blake2b(raw, digest_size=12).hexdigest(),
        )

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


def accepts_gzip(request: web.BaseRequest) -> bool:
    for part in request.headers.get("Accept-Encoding", "").lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and float(q[2:] or 0) == 0.0)
    return False


def _etag_matches(header: str, tags: tuple[str, ...]) -> bool:
    if header.strip() == "*":
        return True
    sent = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return any(t in sent for t in tags)


def respond(request: web.BaseRequest, page: Rendered) -> web.Response:
    """`page` for this request: 304 when the client has it, gzip when it takes gzip."""
    use_gzip = page.gzipped is not None and accepts_gzip(request)
    etag = page.etag + ("-gz" if use_gzip else "")
    headers = {"Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if page.status == 200:
        inm = request.headers.get("If-None-Match")
        fresh = (_etag_matches(inm, (page.etag, page.etag + "-gz")) if inm is not None
                 else _not_modified_since(request, page.last_modified))
        if fresh:
            resp = web.Response(status=304, headers=headers)
            resp.etag = etag
            if page.last_modified:
                resp.last_modified = page.last_modified
            return resp
    body = page.gzipped if use_gzip and page.gzipped is not None else page.body
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    resp = web.Response(body=body, status=page.status, headers=headers)
    resp.headers["Content-Type"] = page.content_type
    if page.status == 200:
        resp.etag = etag
        if page.last_modified:
            resp.last_modified = page.last_modified
    return resp


def _not_modified_since(request: web.BaseRequest, modified: dt.datetime | None) -> bool:
    since = request.if_modified_since
    return modified is not None and since is not None and modified <= since


class PageCache:
    """LRU of rendered pages, emptied whenever the store's generation changes."""

    def __init__(self, store: Store, *, check_every: float = 1.0,
                 max_bytes: int = MAX_BYTES) -> None:
        self.store = store
        self.check_every = check_every
        self.entries: LRUCache[str, Rendered] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda page: page.size)
        self.generation: Generation | None = None
        self._checked = -float("inf")
        self._lock = asyncio.Lock()
        self.hits = self.misses = 0

    def invalidate(self) -> None:
        self.entries.clear()
        self._checked = -float("inf")

    async def current(self) -> Generation:
        """The store's generation (asked at most every `check_every` seconds)."""
        if self.generation is not None and time.monotonic() - self._checked < self.check_every:
            return self.generation
        async with self._lock:
            if self.generation is None or time.monotonic() - self._checked >= self.check_every:
                now = await generation(self.store)
                if now != self.generation:
                    self.entries.clear()
                    self.generation = now
                self._checked = time.monotonic()
        assert self.generation is not None
        return self.generation

    async def get(self, key: str, build: Callable[[], Awaitable[Rendered]]) -> Rendered:
        await self.current()
        page = self.entries.get(key)
        if page is not None:
            self.hits += 1
            return page
        self.misses += 1
        before = self.generation
        page = await build()
        # a page built while the store changed may be stale: serve it, don't keep it
        if self.generation == before and page.size <= self.entries.maxsize // 8:
            self.entries[key] = page
        return page
