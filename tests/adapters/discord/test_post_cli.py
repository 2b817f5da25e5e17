"""Done-when of the Discord issue: `hotpapers post --date 2021-08-06 --to discord:123`
against the local fake Discord creates the parent, the thread and 11 paper messages in
rank order (the CLI runs as a real subprocess, pointed at the fake by DISCORD_API_URL)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.fakes.discord_api import TEXT_CHANNEL_ID, TOKEN, running_fake_discord
from tests.paths import SAMPLE_POST


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode()


async def test_post_to_discord_creates_parent_thread_and_11_papers(tmp_path: Path) -> None:
    async with running_fake_discord() as fake:
        env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DISCORD_API_URL": fake.base_url,
               "HOTPAPERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
        code, out = await run_cli(env, "import", str(SAMPLE_POST))  # a fresh store is empty
        assert code == 0, out
        code, out = await run_cli(env, "post", "--date", "2021-08-06",
                                  "--to", f"discord:{TEXT_CHANNEL_ID}")
        assert code == 0, out
        parents = fake.messages[TEXT_CHANNEL_ID]
        assert len(parents) == 1
        assert parents[0]["embeds"][0]["title"] == "Hot Papers 2021-08-06"
        thread = fake.channels[int(parents[0]["id"])]
        assert thread["type"] == 11 and thread["parent_id"] == str(TEXT_CHANNEL_ID)
        replies = fake.thread_messages(thread["id"])
        assert [m["embeds"][0]["title"].split(".")[0] for m in replies] == [
            str(i) for i in range(1, 12)]
        assert TOKEN not in out

        # Again: the ledger knows it was sent; nothing is posted twice.
        code, out = await run_cli(env, "post", "--date", "2021-08-06",
                                  "--to", f"discord:{TEXT_CHANNEL_ID}")
        assert code == 0, out
        assert len(fake.thread_messages(thread["id"])) == 11

        env["DISCORD_TOKEN"] = "revoked-token-value"
        code, out = await run_cli(env, "post", "--date", "2021-08-06", "--to", "discord:123")
        assert code != 0 and "DISCORD_TOKEN was rejected" in out
        assert "revoked-token-value" not in out and "Traceback" not in out
