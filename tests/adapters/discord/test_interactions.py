"""Discord HTTP interactions at /discord/interactions of `hotpapers serve`: Ed25519
signatures checked with PyNaCl (valid, missing, forged, tampered, replayed on another
body), PING -> PONG, /hot answered with the digest's embeds, one-line errors ephemeral,
permissions from the member's bits, and a slow answer deferred then sent by editing the
original response on a local server that speaks Discord's webhook route."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from nacl.signing import SigningKey

from bot.cli.serve_cmds import build_web_app
from bot.core import BuildResult, Core
from bot.models import Digest
from bot.render.discord import EMBED_TOTAL_LIMIT, embed_size
from bot.settings import Settings
from bot.store import Store

SIGNER = SigningKey(bytes(range(32)))
PUBLIC_KEY = SIGNER.verify_key.encode().hex()


def sign(body: bytes, key: SigningKey = SIGNER, ts: str | None = None) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    sig = key.sign(ts.encode() + body).signature.hex()
    return {"X-Signature-Ed25519": sig, "X-Signature-Timestamp": ts,
            "Content-Type": "application/json"}


def command(name: str, *options: tuple[str, str], permissions: int = 0) -> bytes:
    return json.dumps({
        "type": 2, "id": "111", "application_id": "999", "token": "tok-123",
        "channel_id": "42", "guild_id": "7",
        "member": {"user": {"id": "5"}, "permissions": str(permissions)},
        "data": {"name": name, "options": [{"name": n, "type": 3, "value": v}
                                           for n, v in options]},
    }).encode()


class Served:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url, self.http = url, http

    async def post(self, body: bytes, headers: dict[str, str]) -> aiohttp.ClientResponse:
        return await self.http.post(self.url + "/discord/interactions", data=body,
                                    headers=headers)


async def serving(settings: Settings, builder: Any = None) -> AsyncIterator[Served]:
    core = await Core.open(settings, builder=builder)
    app, paths = await build_web_app(core, settings)
    assert "/discord/interactions" in paths
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield Served(str(server.make_url("")).rstrip("/"), http)
    finally:
        await server.close()
        await core.close()


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'i.db'}",
                        discord_public_key=PUBLIC_KEY)
    async for s in serving(settings):
        yield s


async def test_ping_is_answered_with_pong(served: Served) -> None:
    body = b'{"type":1,"id":"1","application_id":"999","token":"t"}'
    resp = await served.post(body, sign(body))
    assert resp.status == 200 and await resp.json() == {"type": 1}


async def test_bad_signatures_are_401(served: Served) -> None:
    body = b'{"type":1}'
    other = SigningKey(bytes(32))
    forged = await served.post(body, sign(body, other))
    assert forged.status == 401
    assert (await served.post(body, {"Content-Type": "application/json"})).status == 401
    good = sign(body)
    tampered = await served.post(b'{"type":1 }', good)  # the signature of another body
    assert tampered.status == 401
    assert (await served.post(body, {**good, "X-Signature-Ed25519": "zz"})).status == 401
    assert (await served.post(body, {**good, "X-Signature-Timestamp": "1"})).status == 401
    garbage = b"not json"
    assert (await served.post(garbage, sign(garbage))).status == 400


async def test_hot_is_answered_with_the_digest(served: Served) -> None:
    body = command("hot", ("date", "2021-08-06"))
    resp = await served.post(body, sign(body))
    reply = await resp.json()
    assert resp.status == 200 and reply["type"] == 4
    data = reply["data"]
    assert data["content"] == "Hot Papers 2021-08-06: 11 papers" and "flags" not in data
    embeds = data["embeds"]
    assert embeds[0]["title"] == "Hot Papers 2021-08-06"
    assert embeds[1]["title"] == "1. Sketch Your Own GAN"
    assert 2 <= len(embeds) <= 10 and sum(map(embed_size, embeds)) <= EMBED_TOTAL_LIMIT
    assert data["allowed_mentions"] == {"parse": []}


async def test_errors_are_ephemeral_one_liners_and_permissions_deny_by_default(
        served: Served) -> None:
    body = command("hot", ("date", "2021-13-45"))
    data = (await (await served.post(body, sign(body))).json())["data"]
    assert data["flags"] == 64 and "not a real date" in data["content"]
    assert "\n" not in data["content"]
    body = command("subscribe", ("categories", "cs.LG stat.ML"))  # no Manage Channels bit
    data = (await (await served.post(body, sign(body))).json())["data"]
    assert data["flags"] == 64 and "Manage Channels" in data["content"]
    body = command("subscribe", ("categories", "cs.LG stat.ML"), permissions=1 << 4)
    data = (await (await served.post(body, sign(body))).json())["data"]
    assert "cs.LG" in data["content"] and "stat.ML" in data["content"]


async def test_a_slow_answer_is_deferred_then_edited_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.discord.interactions.DEFER_AFTER", 0.1)
    edits: list[tuple[str, dict[str, Any]]] = []
    got = asyncio.Event()

    async def edit_original(request: web.Request) -> web.Response:
        edits.append((request.path, await request.json()))
        got.set()
        return web.json_response({"id": "1"})

    fake = web.Application()
    fake.router.add_patch("/api/v10/webhooks/{app}/{token}/messages/@original", edit_original)
    discord = TestServer(fake, host="127.0.0.1")
    await discord.start_server()

    async def slow_build(store: Store, date: Any) -> BuildResult:
        await asyncio.sleep(0.5)
        stored = await store.get_digest(__import__("datetime").date(2021, 8, 6))
        assert stored is not None
        digest = Digest(date=date, papers=stored.papers, counted_at=stored.counted_at)
        await store.save_digest(digest)
        return BuildResult(digest, ("built on demand",))

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'd.db'}",
                        discord_public_key=PUBLIC_KEY, discord_application_id="999",
                        discord_api_url=str(discord.make_url("/api/v10")))
    try:
        async for s in serving(settings, builder=slow_build):
            body = command("hot", ("date", "2021-08-02"))
            reply = await (await s.post(body, sign(body))).json()
            assert reply == {"type": 5}
            await asyncio.wait_for(got.wait(), 5)
    finally:
        await discord.close()
    path, data = edits[0]
    assert path == "/api/v10/webhooks/999/tok-123/messages/@original"
    assert data["content"] == "Hot Papers 2021-08-02: 11 papers"
    assert data["embeds"][0]["title"] == "Hot Papers 2021-08-02"
    assert "built on demand" in data["embeds"][0]["description"]


def test_a_bad_public_key_is_one_line() -> None:
    from adapters.discord.interactions import verify_key
    from bot.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="DISCORD_PUBLIC_KEY is not a 64-character"):
        verify_key(Settings(discord_public_key="xyz"))
