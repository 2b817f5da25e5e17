"""Addresses of the web archive's pages, for the chat messages and the feeds (the
templates use the routes' names). Pure: no aiohttp."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote


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
