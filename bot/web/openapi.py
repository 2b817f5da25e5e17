"""The OpenAPI 3.1 document of the JSON API (`/api/v1/openapi.json`). The response
shapes are pydantic models (their JSON Schema becomes `components.schemas`); the tests run
schemathesis against the live app to check every answer matches them."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MAX_SPAN_DAYS = 31


class Mention(BaseModel):
    source: str = Field(description="x, bluesky, hn or hf")
    url: str
    author_name: str
    author_handle: str
    posted_at: str | None = Field(description="ISO 8601, UTC")
    text: str
    language: str | None
    reposts: int
    likes: int


class SourceCounts(BaseModel):
    """One source's part of a paper's score, in the source's own words: X and Bluesky
    reposts and likes, Hacker News points, Hugging Face upvotes."""

    posts: int | None = Field(default=None, description="posts counted (absent: unknown)")
    reposts: int | None = None
    likes: int | None = None
    points: int | None = None
    upvotes: int | None = None
    score: float = Field(description="what the source adds to the paper's score")


class RankedPaper(BaseModel):
    rank: int
    arxiv_id: str
    title: str
    authors: list[str]
    score: int
    reposts: int
    likes: int
    categories: list[str]
    primary_category: str | None
    abs_url: str
    pdf_url: str
    abstract: str
    sources: dict[str, SourceCounts] = Field(description="the score per source")
    mentions: list[Mention]
    listed_on: str | None = Field(default=None, pattern=DATE_PATTERN,
                                  description="in a window: the day the paper counts from")


class Digest(BaseModel):
    """The same shape as `hotpapers digest --format json`."""

    date: str = Field(pattern=DATE_PATTERN)
    counted_at: str
    sources: list[str]
    failed_sources: list[str]
    papers: list[RankedPaper]


class DigestList(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str | None = Field(alias="from", description="first day of the range")
    to: str | None = Field(description="last day of the range")
    categories: list[str]
    digests: list[Digest]


class Listing(BaseModel):
    date: str = Field(pattern=DATE_PATTERN)
    rank: int
    score: int
    reposts: int
    likes: int
    url: str = Field(description="the day's page")


class PaperRecord(BaseModel):
    arxiv_id: str
    title: str
    authors: list[str]
    categories: list[str]
    abstract: str
    abs_url: str
    pdf_url: str
    url: str = Field(description="the paper's page")
    listings: list[Listing]
    mentions: list[Mention]


class Error(BaseModel):
    error: str = Field(description="what was wrong and what to send instead, one line")


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _responses(ok: str, description: str, *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": description, **_json(ok)}}
    reasons = {400: "malformed input (the message says what to send)", 404: "not stored"}
    for status in errors:
        out[str(status)] = {"description": reasons[status], **_json("Error")}
    return out


def _date_param(name: str, where: str, description: str, required: bool) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": {"type": "string", "format": "date", "pattern": DATE_PATTERN}}


@cache
def document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(m, "serialization") for m in (Digest, DigestList, PaperRecord, Error)],
        ref_template="#/components/schemas/{model}",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hot Papers API",
            "version": "1.0.0",
            "description": "Daily digests of the arXiv papers with the most social "
                           "attention, as stored by hotpapers. Read-only; no key needed.",
        },
        "paths": {
            "/api/v1/digests/{date}": {"get": {
                "operationId": "getDigest",
                "summary": "One day's digest (hotpapers digest --format json)",
                "parameters": [_date_param("date", "path", "the announcement day", True)],
                "responses": _responses("Digest", "the digest", 400, 404),
            }},
            "/api/v1/digests": {"get": {
                "operationId": "listDigests",
                "summary": f"The digests of a range of days (at most {MAX_SPAN_DAYS})",
                "parameters": [
                    _date_param("from", "query", "first day (default: 6 days before `to`)",
                                False),
                    _date_param("to", "query", "last day (default: the latest stored)", False),
                    {"name": "category", "in": "query", "required": False,
                     "description": "keep papers in these categories or archives (cs.CV, "
                                    "stat.ML, cs); repeat it or separate with commas",
                     "style": "form", "explode": True,
                     "schema": {"type": "array", "items": {"type": "string"}}},
                ],
                "responses": _responses("DigestList", "the digests stored in the range", 400),
            }},
            "/api/v1/papers/{arxiv_id}": {"get": {
                "operationId": "getPaper",
                "summary": "One paper: every day it was listed and its posts",
                "parameters": [{"name": "arxiv_id", "in": "path", "required": True,
                                "description": "an arXiv id without version (2108.02774)",
                                "schema": {"type": "string"}}],
                "responses": _responses("PaperRecord", "the paper", 400, 404),
            }},
        },
        "components": {"schemas": schemas["$defs"]},
    }
