"""X (Twitter) API v2 recent search: the seed's own signal.

`GET tweets/search/recent` with a bearer token, `query=url:arxiv.org -is:retweet`
(a retweet carries no likes of its own; the original's `retweet_count` counts it),
`start_time`/`end_time`, `max_results=100`, `tweet.fields=public_metrics,created_at,
lang,entities`, `expansions=author_id` (+ `user.fields=username,name`), then
`next_token` until the answer has none. Ids come from `entities.urls[].expanded_url`
and `unwound_url` (the text only has t.co links). `retweet_count` -> reposts,
`like_count` -> likes; the post URL is https://twitter.com/<username>/status/<id>
(the form the archive's embedded tweets use).

Recent search covers the last 7 days only: a window older than that raises
`SourceOutOfReach` (a coverage note, not a failure: no request is made); one partly
older is clipped. `end_time` must be at least 10 s in
the past, so a window ending later is clipped to 30 s ago.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.arxiv.ids import extract_ids
from bot.errors import HttpError, SourceOutOfReach, SourceUnavailable
from bot.models import Mention
from bot.signals.base import TimeWindow
from bot.signals.http import HttpSource, RateLimit, pages_ahead, parse_time

RATE = RateLimit(450, 900)  # recent search, app auth: 450 requests per 15 minutes
PAGE_SIZE = 100
SEARCH = "tweets/search/recent"
QUERY = "url:arxiv.org -is:retweet"
HISTORY = dt.timedelta(days=7)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class XRecentSearch(HttpSource):
    name = "x"
    has_history = False

    BASE_URL = "https://api.x.com/2/"
    RATE = RATE
    PAGE_SIZE = PAGE_SIZE

    def __init__(
        self,
        session: aiohttp.ClientSession,
        bearer_token: SecretStr,
        base_url: str | None = None,
        *,
        query: str = QUERY,
        clock: Callable[[], dt.datetime] = utc_now,
        **options: Any,
    ) -> None:
        super().__init__(session, base_url, **options)
        self._token = bearer_token
        self.query = query
        self.clock = clock

    def __repr__(self) -> str:
        return "XRecentSearch()"

    def _clip(self, window: TimeWindow) -> tuple[dt.datetime, dt.datetime]:
        now = self.clock()
        earliest = now - HISTORY + dt.timedelta(minutes=1)
        start, end = max(window.start, earliest), min(window.end, now - dt.timedelta(seconds=30))
        if end <= start:
            raise SourceOutOfReach(
                f"X's recent search reaches back 7 days: {window.date} is out of reach")
        return start, end

    async def mentions(self, window: TimeWindow) -> AsyncIterator[Mention]:
        start, end = self._clip(window)
        params: dict[str, str | int] = {
            "query": self.query, "start_time": _iso(start), "end_time": _iso(end),
            "max_results": self.page_size,
            "tweet.fields": "public_metrics,created_at,lang,entities",
            "expansions": "author_id", "user.fields": "username,name",
        }
        headers = {"Authorization": f"Bearer {self._token.get_secret_value()}"}
        seen: set[str] = set()

        def follow(page: dict[str, Any]) -> Awaitable[dict[str, Any]] | None:
            token = (page.get("meta") or {}).get("next_token")
            return self._page({**params, "next_token": str(token)}, headers) if token else None

        async for page in pages_ahead(self._page(params, headers), follow):
            users = {str(u.get("id")): u for u in (page.get("includes") or {}).get("users") or []}
            for tweet in page.get("data") or []:
                mention = _mention(tweet, users)
                if mention is not None and mention.url not in seen:
                    seen.add(mention.url)
                    yield mention

    async def _page(self, params: dict[str, str | int], headers: dict[str, str]) -> dict[str, Any]:
        try:
            page = await self.fetcher.get(SEARCH, params, headers)
        except HttpError as exc:
            if exc.status in (401, 403):
                raise SourceUnavailable(
                    f"x: the bearer token was refused ({exc}); check HOTPAPERS_X_BEARER_TOKEN "
                    "and the app's access level"
                ) from None
            raise SourceUnavailable(f"x: {self.fetcher.where(SEARCH)} refused the search "
                                    f"({exc}{_first_error(exc.body)})") from None
        if not isinstance(page, dict):
            raise SourceUnavailable("x: the search answered something that is not a result page")
        return page


def _first_error(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors and isinstance(errors[0], dict) and errors[0].get("message"):
        return ": " + str(errors[0]["message"]).splitlines()[0][:200]
    return ""


def _urls(tweet: dict[str, Any]) -> Iterator[str]:
    for url in (tweet.get("entities") or {}).get("urls") or []:
        for key in ("unwound_url", "expanded_url"):
            if url.get(key):
                yield str(url[key])


def expanded_text(tweet: dict[str, Any]) -> str:
    """The tweet's text with its t.co links expanded (`entities.urls`), and the links to
    its own pictures and videos (`pic.twitter.com/...`) dropped."""
    text = str(tweet.get("text") or "")
    for url in (tweet.get("entities") or {}).get("urls") or []:
        short = str(url.get("url") or "")
        if not short:
            continue
        display = str(url.get("display_url") or "")
        media = bool(url.get("media_key")) or display.startswith(("pic.twitter.com", "pic.x.com"))
        target = "" if media else str(url.get("unwound_url") or url.get("expanded_url") or short)
        text = text.replace(short, target)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _mention(tweet: dict[str, Any], users: dict[str, dict[str, Any]]) -> Mention | None:
    ids = extract_ids("\n".join(_urls(tweet)))
    tweet_id = str(tweet.get("id") or "")
    if not ids or not tweet_id:
        return None
    user = users.get(str(tweet.get("author_id")), {})
    username = str(user.get("username") or "i/web")
    metrics = tweet.get("public_metrics") or {}
    return Mention(
        source="x",
        url=f"https://twitter.com/{username}/status/{tweet_id}",
        arxiv_ids=tuple(ids),
        author_name=str(user.get("name") or username),
        author_handle=username,
        posted_at=parse_time(tweet.get("created_at")),
        text=expanded_text(tweet),
        language=str(tweet["lang"]) if tweet.get("lang") else None,
        reposts=int(metrics.get("retweet_count") or 0),
        likes=int(metrics.get("like_count") or 0),
    )

