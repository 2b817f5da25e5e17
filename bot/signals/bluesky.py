"""Bluesky: `app.bsky.feed.searchPosts` for posts linking arxiv.org, in a session.

`com.atproto.server.createSession` with the handle and an app password gives an access
JWT (search needs an authenticated session in practice); an `ExpiredToken` answer makes
one new session. Search: `q=arxiv.org&domain=arxiv.org&since=..&until=..&sort=latest
&limit=100`, then `cursor` until the answer has none. Ids come from the post text, its
link facets and its external embed (the link card). `likeCount` -> likes,
`repostCount` -> reposts; the post URL is https://bsky.app/profile/<handle>/post/<rkey>.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.arxiv.ids import extract_ids
from bot.errors import HttpError, SourceUnavailable
from bot.models import Mention
from bot.signals.base import TimeWindow
from bot.signals.http import HttpSource, RateLimit, pages_ahead, parse_time

RATE = RateLimit(3000, 300)  # Bluesky AppView: 3,000 requests per 5 minutes per IP
PAGE_SIZE = 100
SESSION = "com.atproto.server.createSession"
SEARCH = "app.bsky.feed.searchPosts"


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Bluesky(HttpSource):
    name = "bluesky"
    has_history = False  # search reaches back, but counts are only complete when recent

    BASE_URL = "https://bsky.social/xrpc/"
    RATE = RATE
    PAGE_SIZE = PAGE_SIZE

    def __init__(
        self,
        session: aiohttp.ClientSession,
        handle: str,
        app_password: SecretStr,
        base_url: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(session, base_url, **options)
        self.handle = handle
        self._password = app_password
        self._access: SecretStr | None = None

    def __repr__(self) -> str:
        return f"Bluesky(handle={self.handle!r})"

    async def _login(self) -> SecretStr:
        body = {"identifier": self.handle, "password": self._password.get_secret_value()}
        try:
            answer = await self.fetcher.post(SESSION, body)
        except HttpError as exc:
            raise SourceUnavailable(
                f"bluesky: {self.handle} could not sign in ({exc}); check "
                "HOTPAPERS_BLUESKY_HANDLE and HOTPAPERS_BLUESKY_APP_PASSWORD"
            ) from None
        token = answer.get("accessJwt") if isinstance(answer, dict) else None
        if not token:
            raise SourceUnavailable("bluesky: createSession answered without an access token")
        self._access = SecretStr(str(token))
        return self._access

    async def mentions(self, window: TimeWindow) -> AsyncIterator[Mention]:
        params: dict[str, str | int] = {
            "q": "arxiv.org", "domain": "arxiv.org", "sort": "latest",
            "since": _iso(window.start), "until": _iso(window.end), "limit": self.page_size,
        }
        seen: set[str] = set()

        def follow(page: dict[str, Any]) -> Awaitable[dict[str, Any]] | None:
            cursor = page.get("cursor")
            if not cursor or not page.get("posts"):
                return None
            return self._search({**params, "cursor": str(cursor)})

        async for page in pages_ahead(self._search(params), follow):
            for post in page.get("posts") or []:
                mention = _mention(post)
                if mention is not None and mention.url not in seen:
                    seen.add(mention.url)
                    yield mention

    async def _search(self, params: dict[str, str | int]) -> dict[str, Any]:
        renewed = False
        while True:
            token = self._access or await self._login()
            headers = {"Authorization": f"Bearer {token.get_secret_value()}"}
            try:
                page = await self.fetcher.get(SEARCH, params, headers)
            except HttpError as exc:
                error = exc.body.get("error") if isinstance(exc.body, dict) else None
                if exc.status in (400, 401) and error in ("ExpiredToken", "InvalidToken",
                                                          "AuthenticationRequired"):
                    if not renewed:
                        self._access, renewed = None, True
                        continue
                raise SourceUnavailable(f"bluesky: {self.fetcher.where(SEARCH)} refused "
                                        f"the search ({exc}, {error or 'no reason'})") from None
            if not isinstance(page, dict):
                raise SourceUnavailable("bluesky: the search answered something that is "
                                        "not a result page")
            return page


def _links(post: dict[str, Any]) -> Iterator[str]:
    record = post.get("record") or {}
    yield str(record.get("text") or "")
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            if feature.get("uri"):
                yield str(feature["uri"])
    for embed in (record.get("embed"), post.get("embed")):
        if isinstance(embed, dict):
            for part in (embed, embed.get("media")):
                if isinstance(part, dict) and isinstance(part.get("external"), dict):
                    yield str(part["external"].get("uri") or "")


def _mention(post: dict[str, Any]) -> Mention | None:
    ids = extract_ids("\n".join(_links(post)))
    uri = str(post.get("uri") or "")
    author = post.get("author") or {}
    handle = str(author.get("handle") or author.get("did") or "")
    if not ids or not uri or not handle:
        return None
    record = post.get("record") or {}
    langs = record.get("langs") or []
    return Mention(
        source="bluesky",
        url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
        arxiv_ids=tuple(ids),
        author_name=str(author.get("displayName") or handle),
        author_handle=handle,
        posted_at=parse_time(record.get("createdAt") or post.get("indexedAt")),
        text=str(record.get("text") or ""),
        language=str(langs[0]) if langs else None,
        reposts=int(post.get("repostCount") or 0),
        likes=int(post.get("likeCount") or 0),
    )

