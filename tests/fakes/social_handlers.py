"""The request handlers of the fake social servers: the documented JSON shapes."""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.social_corpus import FakePost

if TYPE_CHECKING:
    from tests.fakes.social_servers import SocialServers


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _bad(message: str, status: int = 400, **extra: Any) -> web.Response:
    return web.json_response({"error": "InvalidRequest", "message": message, **extra},
                             status=status)


# -- Hacker News (Algolia) ---------------------------------------------------------
_NUMERIC = re.compile(r"^created_at_i(<=|>=|<|>)(\d+)$")


async def hn_search(servers: SocialServers, request: web.Request) -> web.Response:
    q = request.query
    if q.get("restrictSearchableAttributes") != "url" or "arxiv.org" not in q.get("query", ""):
        return _bad("this fake only answers url searches for arxiv.org")
    lo: dt.datetime | None = None
    hi: dt.datetime | None = None
    for clause in filter(None, q.get("numericFilters", "").split(",")):
        m = _NUMERIC.match(clause.strip())
        if not m:
            return _bad(f"invalid numericFilters clause {clause!r}")
        op, bound = m[1], int(m[2])
        at = dt.datetime.fromtimestamp(bound + (op in (">", "<=")), dt.UTC)
        if op in (">", ">="):
            lo = max(lo, at) if lo else at
        else:
            hi = min(hi, at) if hi else at
    posts = servers.between("hn", lo, hi)
    hpp = min(int(q.get("hitsPerPage", 20)), 1000)
    page = int(q.get("page", 0))
    pages = min(math.ceil(len(posts) / hpp), servers.hn_pagination_cap // hpp)
    hits = posts[page * hpp:(page + 1) * hpp] if page < pages else []
    return web.json_response({
        "hits": [_hn_hit(p) for p in hits], "nbHits": len(posts), "page": page,
        "nbPages": pages, "hitsPerPage": hpp, "exhaustiveNbHits": True,
        "query": q.get("query"), "params": request.query_string,
    })


def _hn_hit(p: FakePost) -> dict[str, Any]:
    return {
        "objectID": p.post_id, "title": p.text, "url": p.links[0], "author": p.author,
        "points": p.likes, "num_comments": p.comments, "story_text": None,
        "created_at": _iso(p.created), "created_at_i": int(p.created.timestamp()),
        "_tags": ["story", f"author_{p.author}", f"story_{p.post_id}"],
    }


# -- Hugging Face daily papers -----------------------------------------------------
async def hf_daily(servers: SocialServers, request: web.Request) -> web.Response:
    try:
        day = dt.date.fromisoformat(request.query["date"])
    except (KeyError, ValueError):
        return web.json_response({"error": "Invalid date"}, status=400)
    limit = int(request.query.get("limit", 50))
    if not 1 <= limit <= 100:
        return web.json_response({"error": "limit must be between 1 and 100"}, status=400)
    page = int(request.query.get("p", 0))
    posts = sorted((p for p in servers.corpus.of("hf") if p.day == day),
                   key=lambda p: (-p.likes, p.post_id))
    return web.json_response([_hf_item(p) for p in posts[page * limit:(page + 1) * limit]])


def _hf_item(p: FakePost) -> dict[str, Any]:
    return {
        "paper": {"id": p.post_id, "title": p.text, "upvotes": p.likes,
                  "authors": [{"name": "A. Author"}], "publishedAt": _iso(p.created),
                  "summary": "An abstract."},
        "publishedAt": _iso(p.created), "title": p.text, "numComments": p.comments,
        "thumbnail": f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{p.post_id}.png",
        "submittedBy": {"user": p.author, "fullname": p.author.title(), "type": "user"},
    }


# -- Bluesky -----------------------------------------------------------------------
async def bsky_session(servers: SocialServers, request: web.Request) -> web.Response:
    body = await request.json()
    if (body.get("identifier"), body.get("password")) != (
        servers.bluesky_handle, servers.bluesky_password
    ):
        return web.json_response({"error": "AuthenticationRequired",
                                  "message": "Invalid identifier or password"}, status=401)
    token = "jwt-" + secrets.token_hex(8)
    servers.sessions[token] = 0
    return web.json_response({"accessJwt": token, "refreshJwt": "r" + token,
                              "handle": servers.bluesky_handle, "did": "did:plc:bot",
                              "active": True})


async def bsky_search(servers: SocialServers, request: web.Request) -> web.Response:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if token not in servers.sessions:
        return web.json_response({"error": "AuthenticationRequired",
                                  "message": "Authentication Required"}, status=401)
    servers.sessions[token] += 1
    if servers.sessions[token] > servers.bluesky_token_uses:
        return web.json_response({"error": "ExpiredToken", "message": "Token has expired"},
                                 status=400)
    q = request.query
    limit = int(q.get("limit", 25))
    if not q.get("q") or not 1 <= limit <= 100:
        return _bad("q is required and limit must be 1..100")
    since = _parse_time(q["since"]) if "since" in q else None
    until = _parse_time(q["until"]) if "until" in q else None
    posts = servers.between("bluesky", since, until, q.get("domain"))
    offset = int(q.get("cursor", 0) or 0)
    page = posts[offset:offset + limit]
    out: dict[str, Any] = {"posts": [_bsky_post(p) for p in page], "hitsTotal": len(posts)}
    if offset + limit < len(posts):
        out["cursor"] = str(offset + limit)
    return web.json_response(out)


def _bsky_post(p: FakePost) -> dict[str, Any]:
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": p.text,
                              "createdAt": _iso(p.created), "langs": ["en"]}
    if not p.card_only:
        facets, text_bytes = [], p.text.encode()
        for link in p.links:
            shown = link.removeprefix("https://")[:22].encode()
            at = max(text_bytes.find(shown), 0)
            facets.append({"index": {"byteStart": at, "byteEnd": at + len(shown) + 3},
                           "features": [{"$type": "app.bsky.richtext.facet#link",
                                         "uri": link}]})
        record["facets"] = facets
    external = {"uri": p.links[-1], "title": "arXiv paper", "description": ""}
    record["embed"] = {"$type": "app.bsky.embed.external", "external": external}
    return {
        "uri": f"at://{p.did}/app.bsky.feed.post/{p.post_id}", "cid": "bafy" + p.post_id,
        "author": {"did": p.did, "handle": p.author, "displayName": p.author.split(".")[0]},
        "record": record,
        "embed": {"$type": "app.bsky.embed.external#view", "external": external},
        "replyCount": 0, "repostCount": p.reposts, "likeCount": p.likes, "quoteCount": 0,
        "indexedAt": _iso(p.created),
    }


# -- X API v2 ----------------------------------------------------------------------
async def x_search(servers: SocialServers, request: web.Request) -> web.Response:
    if request.headers.get("Authorization") != f"Bearer {servers.x_token}":
        return web.json_response({"title": "Unauthorized", "type": "about:blank",
                                  "status": 401, "detail": "Unauthorized"}, status=401)
    q = request.query
    now = servers.current_now()
    try:
        start = _parse_time(q["start_time"]) if "start_time" in q else now - dt.timedelta(days=7)
        end = _parse_time(q["end_time"]) if "end_time" in q else now
        max_results = int(q.get("max_results", 10))
    except ValueError as exc:
        return _x_invalid(f"invalid parameter: {exc}")
    if start < now - dt.timedelta(days=7):
        return _x_invalid("Invalid 'start_time'. 'start_time' must be on or after "
                          f"{_iso(now - dt.timedelta(days=7))}")
    if end > now - dt.timedelta(seconds=10):
        return _x_invalid("Invalid 'end_time'. 'end_time' must be a minimum of 10 seconds "
                          "prior to the request time.")
    if not 10 <= max_results <= 100 or "url:arxiv.org" not in q.get("query", ""):
        return _x_invalid("max_results must be 10..100 and the query must ask url:arxiv.org")
    posts = servers.between("x", start, end)
    offset = int(base64.urlsafe_b64decode(q["next_token"]).decode()) if "next_token" in q else 0
    page = posts[offset:offset + max_results]
    meta: dict[str, Any] = {"result_count": len(page)}
    if page:
        meta.update(newest_id=page[0].post_id, oldest_id=page[-1].post_id)
    if offset + max_results < len(posts):
        meta["next_token"] = base64.urlsafe_b64encode(str(offset + max_results).encode()).decode()
    out: dict[str, Any] = {"meta": meta}
    if page:
        out["data"] = [_tweet(p) for p in page]
        users = {p.author: {"id": f"u{p.author}", "username": p.author, "name": p.author.title()}
                 for p in page}
        out["includes"] = {"users": list(users.values())}
    return web.json_response(out)


def _x_invalid(message: str) -> web.Response:
    return web.json_response({"errors": [{"message": message}], "title": "Invalid Request",
                              "detail": "One or more parameters to your request was invalid.",
                              "type": "https://api.twitter.com/2/problems/invalid-request"},
                             status=400)


def _tweet(p: FakePost) -> dict[str, Any]:
    """As X sends it: the text holds t.co links (where the corpus shows the links) and a
    t.co link to the tweet's picture; `entities.urls` says what each one stands for."""
    urls = [{"start": 0, "end": 23, "url": f"https://t.co/{p.post_id[-6:]}{i}",
             "expanded_url": link, "display_url": link.removeprefix("https://")[:22] + "…",
             **({"unwound_url": link} if i % 2 else {})}
            for i, link in enumerate(p.links)]
    text = p.text
    for u in urls:
        text = text.replace(u["display_url"], u["url"], 1)
    picture = f"https://t.co/{p.post_id[-6:]}p"
    urls.append({"start": 0, "end": 23, "url": picture, "media_key": f"3_{p.post_id}",
                 "expanded_url": f"https://twitter.com/{p.author}/status/{p.post_id}/photo/1",
                 "display_url": f"pic.twitter.com/{p.post_id[-6:]}"})
    return {"id": p.post_id, "text": f"{text} {picture}", "author_id": f"u{p.author}",
            "created_at": _iso(p.created), "lang": "en", "entities": {"urls": urls},
            "public_metrics": {"retweet_count": p.reposts, "reply_count": 0,
                               "like_count": p.likes, "quote_count": 0,
                               "bookmark_count": 0, "impression_count": p.likes * 40}}


ROUTES = (
    ("GET", "/hn/api/v1/search_by_date", "hn", hn_search),
    ("GET", "/hf/api/daily_papers", "hf", hf_daily),
    ("POST", "/bsky/xrpc/com.atproto.server.createSession", "bluesky", bsky_session),
    ("GET", "/bsky/xrpc/app.bsky.feed.searchPosts", "bluesky", bsky_search),
    ("GET", "/x/2/tweets/search/recent", "x", x_search),
)
