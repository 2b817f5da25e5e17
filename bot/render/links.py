"""Addresses of the web archive's pages, for the chat messages and the feeds (the
templates use the routes' names). Pure: no aiohttp."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from bot.models import Digest


def day_path(date: dt.date) -> str:
    return "/" + date.isoformat()


def category_path(code: str) -> str:
    return "/c/" + quote(code, safe=".-")


def paper_path(arxiv_id: str) -> str:
    return "/p/" + quote(arxiv_id, safe="./-")


def absolute(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def day_url(public_url: str | None, date: dt.date) -> str:
    """The day's page, or "" when the archive's public address is not configured."""
    return absolute(public_url, day_path(date)) if public_url else ""


def digest_url(public_url: str | None, digest: Digest) -> str:
    """The page of a day (`/2021-08-06`), a week (`/2021-W31`) or a month (`/2021-08`);
    "" without the archive's public address, or for a span of days that has no page."""
    if not public_url:
        return ""
    if digest.window is None:
        return day_url(public_url, digest.date)
    if digest.window.kind in ("week", "month"):
        return absolute(public_url, "/" + digest.window.key)
    return ""
