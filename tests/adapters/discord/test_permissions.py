"""Who may change a Discord channel, and the same /hot twice. Discord checks Manage
Channels on its side (`default_member_permissions`) and the bot checks the member's
permissions in the channel again on its own (a server's admins can change a command's
permissions in the integration settings)."""

from __future__ import annotations

import asyncio

from tests.adapters.discord.test_commands import EPHEMERAL, Running, opt, running  # noqa: F401
from tests.fakes.discord_api import MANAGE_CHANNELS, TEXT_CHANNEL_ID

ADMINISTRATOR = 1 << 3
SEND_MESSAGES = 1 << 11


async def subscription(running: Running) -> tuple[str, ...] | None:  # noqa: F811
    sub = await running.core.store.get_subscription("discord", str(TEXT_CHANNEL_ID))
    return sub.categories if sub else None


async def test_without_manage_channels_nothing_changes_whatever_discord_let_through(
        running: Running) -> None:  # noqa: F811
    fake = running.fake
    for name, value in (("subscribe", "cs.CV"), ("unsubscribe", "")):
        options = [opt("categories", value)] if value else []
        iid = await fake.interact(name, options, permissions=SEND_MESSAGES)
        cb = await fake.callback(iid)
        assert cb.data["flags"] & EPHEMERAL
        assert "needs the Manage Channels permission" in cb.data["content"]
        assert await subscription(running) is None


async def test_manage_channels_or_administrator_may(running: Running) -> None:  # noqa: F811
    fake = running.fake
    iid = await fake.interact("subscribe", [opt("categories", "cs.CV")],
                              permissions=MANAGE_CHANNELS)
    await fake.callback(iid)
    assert await subscription(running) == ("cs.CV",)
    iid = await fake.interact("subscribe", [opt("categories", "cs.LG")],
                              permissions=ADMINISTRATOR)
    await fake.callback(iid)
    assert await subscription(running) == ("cs.CV", "cs.LG")


async def test_the_same_hot_again_links_the_thread_instead_of_posting_it(
        running: Running) -> None:  # noqa: F811
    from tests.fakes.discord_api import GUILD_ID

    fake = running.fake
    iid = await fake.interact("hot", [opt("date", "2021-08-06"), opt("category", "cs.CV")])
    await fake.callback(iid)
    await fake.wait_for(lambda: len(fake.sent("POST", r"/channels/\d+/messages$")) >= 7)
    await asyncio.sleep(0.2)
    parent = next(m for m in fake.messages[TEXT_CHANNEL_ID] if m.get("embeds"))
    iid = await fake.interact("hot", [opt("date", "2021-08-06"), opt("category", "cs.cv")])
    cb = await fake.callback(iid)
    assert cb.data["flags"] & EPHEMERAL
    link = f"https://discord.com/channels/{GUILD_ID}/{TEXT_CHANNEL_ID}/{parent['id']}"
    assert link in cb.data["content"]
    await asyncio.sleep(0.3)
    assert len([m for m in fake.messages[TEXT_CHANNEL_ID] if m.get("embeds")]) == 1
