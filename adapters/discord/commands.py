"""Discord slash commands: `/hot [date] [category] [window]`, `/subscribe <categories>`,
`/unsubscribe [categories]`, `/subscriptions`.

A thin pair of translations around `core.answer`: an interaction becomes a neutral
`Command` (with `can_manage_channel` from the member's permissions in the channel), the
`Answer` becomes the interaction response. Discord wants a first response within 3 s:
the answer gets `defer_after` seconds (2 by default), after which the interaction is
deferred and the answer follows up. A digest answer is posted in the channel exactly
like the daily post (parent + thread, through `DiscordChatAdapter` and the core's one
delivery loop with the ledger: thread "hot:<interaction id>" of that day) after a short
confirmation. Commands are synced in `setup_hook` (once per login, not on every
reconnect as `on_ready` would), by one gateway process. Which shards the client
connects, and the adapter around it: `adapters.discord.gateway`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from adapters.discord.permissions import DENIED
from adapters.discord.post import DiscordChatAdapter
from bot.arxiv.taxonomy import taxonomy
from bot.models import PARENT, Answer, Command, Digest
from bot.plans import answer_plan
from bot.publish import ChannelReport, publish_thread
from bot.render.common import shorten
from bot.render.discord import CONTENT_LIMIT, shorten_lines

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

CHOICES = 25  # Discord shows at most 25 autocomplete choices
BAD_TOKEN = 4004


class HotPapersBot(discord.AutoShardedClient):
    """The gateway client: receives interactions on `shard_ids` of `shard_count` and
    answers them through the core. `sync_commands`: sync the slash commands once
    connected (one process does, see `adapters.discord.gateway`)."""

    def __init__(self, core: Core, *, shard_ids: list[int], shard_count: int,
                 defer_after: float = 2.0, guild_ready_timeout: float = 2.0,
                 sync_commands: bool = True) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, guild_ready_timeout=guild_ready_timeout,
                         shard_ids=shard_ids, shard_count=shard_count)
        self.core = core
        self.sync_commands = sync_commands
        self.commands_synced = False
        self.defer_after = defer_after
        self.poster = DiscordChatAdapter(self, owns_client=False)
        self.tree: app_commands.CommandTree[HotPapersBot] = app_commands.CommandTree(self)
        register(self.tree, self)

    async def setup_hook(self) -> None:
        if self.sync_commands:
            await self.tree.sync()
            self.commands_synced = True

    async def run_command(self, interaction: discord.Interaction[HotPapersBot], name: str,
                          words: list[str], *, ephemeral_defer: bool) -> None:
        """Answer one slash command within Discord's 3 s (deferring when slow)."""
        command = Command(
            name=name, args=tuple(w for w in words if w), platform="discord",
            channel=str(interaction.channel_id), workspace=str(interaction.guild_id or ""),
            user=str(interaction.user.id),
            # Checked here too, not only by Discord's default_member_permissions (which a
            # server's admins can change per command): the member's permissions in this
            # channel, overwrites included; none in a DM.
            can_manage_channel=bool(interaction.permissions.manage_channels
                                    or interaction.permissions.administrator),
            denied=DENIED,
        )
        task = asyncio.ensure_future(self.core.answer_or_apologise(command))
        deferred = False
        try:
            answer = await asyncio.wait_for(asyncio.shield(task), self.defer_after)
        except TimeoutError:
            await interaction.response.defer(ephemeral=ephemeral_defer, thinking=True)
            deferred = True
            answer = await task
        private = answer.ephemeral or answer.is_error
        text = shorten_lines(answer.text, CONTENT_LIMIT)
        if deferred and private and not ephemeral_defer:
            # The first follow-up replaces a deferral and keeps its (public) visibility:
            # drop the public "thinking" message so the answer can be ephemeral.
            await interaction.delete_original_response()
            await interaction.followup.send(text, ephemeral=True)
        elif deferred:
            await interaction.followup.send(text, ephemeral=private)
        else:
            await interaction.response.send_message(text, ephemeral=private)
        if answer.digest is not None and interaction.channel_id is not None:
            await self._post_digest(interaction, answer)

    async def _post_digest(self, interaction: discord.Interaction[HotPapersBot],
                           answer: Answer) -> None:
        assert answer.digest is not None
        report = await self.post_thread(str(interaction.channel_id),
                                        str(interaction.guild_id or ""), answer.digest,
                                        f"hot:{interaction.id}", answer.notes)
        if report.status == "busy":  # this very interaction, again
            return
        if report.status == "done":
            parent = await self.parent_of(report, f"hot:{interaction.id}")
            where = f"{interaction.guild_id or '@me'}/{interaction.channel_id}"
            self.core.thread_posted(answer, f"https://discord.com/channels/{where}"
                                    + (f"/{parent}" if parent else ""))
            return
        self.core.thread_failed(answer)
        log.warning("posting a digest for /hot failed: %s", report.detail)
        await interaction.followup.send(
            "I couldn't post the papers here (I need Send Messages and Create Public "
            "Threads in this channel); ask an admin to add them.", ephemeral=True)

    async def parent_of(self, report: ChannelReport, thread: str) -> str | None:
        """The message id of the parent of a thread this bot posted (from the ledger)."""
        for row in await self.core.store.deliveries(None, "discord", report.channel, thread):
            if row.part == PARENT and row.message_id:
                return row.message_id
        return None

    async def post_thread(self, channel: str, guild: str, digest: Digest, thread: str,
                          notes: tuple[str, ...]) -> ChannelReport:
        """`digest` (the answer's view) as thread `thread` of its day in `channel`,
        through the core's delivery loop and ledger."""
        plan = answer_plan(digest.key, "discord", channel, guild, digest,
                           thread=thread, notes=notes)
        return await publish_thread(self.core.store, self.poster, digest, plan,
                                    lease_ttl=self.core.settings.lease_seconds)


def category_choices(current: str) -> list[app_commands.Choice[str]]:
    """Categories (of the 155) whose code or name contains what was typed."""
    return [app_commands.Choice(name=shorten(f"{c.code} — {c.name}", 100), value=c.code)
            for c in taxonomy().search(current)[:CHOICES]]


def window_choices(dates: list[dt.date]) -> list[tuple[str, str]]:
    """(value, label): `week` and `month`, then the weeks and months of the stored days,
    newest first."""
    out = [("week", "week: the latest week"), ("month", "month: the latest month")]
    seen: set[str] = set()
    for day in sorted(dates, reverse=True):
        year, week, _ = day.isocalendar()
        for value, label in ((f"{year}-W{week:02d}", f"{year}-W{week:02d} (week of "
                              f"{day - dt.timedelta(days=day.weekday())})"),
                             (f"{day:%Y-%m}", f"{day:%Y-%m} ({day:%B %Y})")):
            if value not in seen:
                seen.add(value)
                out.append((value, label))
    return out


def register(tree: app_commands.CommandTree[HotPapersBot], bot: HotPapersBot) -> None:
    """The four slash commands, bound to `bot`."""

    @tree.command(name="hot", description="The Hot Papers of a day (latest by default)")
    @app_commands.describe(date="A day like 2021-08-06, or yesterday / latest",
                           category="Only this arXiv category, like cs.CV (or all)",
                           window="A week or a month instead of a day: week, month, "
                                  "2021-W31, 2021-08")
    async def hot(interaction: discord.Interaction[HotPapersBot], date: str | None = None,
                  category: str | None = None, window: str | None = None) -> None:
        await bot.run_command(interaction, "hot", [w for w in (window, date, category) if w],
                              ephemeral_defer=False)

    @hot.autocomplete("window")
    async def hot_window(interaction: discord.Interaction[HotPapersBot],
                         current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=label, value=value)
                for value, label in window_choices(await bot.core.store.digest_dates())
                if current.strip().lower() in label.lower()][:CHOICES]

    @hot.autocomplete("date")
    async def hot_date(interaction: discord.Interaction[HotPapersBot],
                       current: str) -> list[app_commands.Choice[str]]:
        dates = [d.isoformat() for d in reversed(await bot.core.store.digest_dates())]
        return [app_commands.Choice(name=d, value=d)
                for d in dates if d.startswith(current.strip())][:CHOICES]

    @hot.autocomplete("category")
    async def hot_category(interaction: discord.Interaction[HotPapersBot],
                           current: str) -> list[app_commands.Choice[str]]:
        return category_choices(current)

    @tree.command(name="subscribe",
                  description="Post the daily Hot Papers here for these categories")
    @app_commands.describe(categories="Categories and filters, like: cs.LG stat.ML min:100")
    @app_commands.default_permissions(manage_channels=True)
    async def subscribe(interaction: discord.Interaction[HotPapersBot],
                        categories: str = "") -> None:
        await bot.run_command(interaction, "subscribe", categories.split(),
                              ephemeral_defer=True)

    @subscribe.autocomplete("categories")
    async def subscribe_categories(interaction: discord.Interaction[HotPapersBot],
                                   current: str) -> list[app_commands.Choice[str]]:
        head, _, last = current.rpartition(" ")
        prefix = f"{head} " if head else ""
        return [app_commands.Choice(name=shorten(prefix + c.value, 100),
                                    value=shorten(prefix + c.value, 100))
                for c in category_choices(last)]

    @tree.command(name="unsubscribe",
                  description="Stop some categories here (or the whole daily post)")
    @app_commands.describe(categories="Categories to stop, like cs.LG (empty: stop everything)")
    @app_commands.default_permissions(manage_channels=True)
    async def unsubscribe(interaction: discord.Interaction[HotPapersBot],
                          categories: str = "") -> None:
        await bot.run_command(interaction, "unsubscribe", categories.split(),
                              ephemeral_defer=True)

    @tree.command(name="subscriptions", description="What this channel gets every day")
    async def subscriptions(interaction: discord.Interaction[HotPapersBot]) -> None:
        await bot.run_command(interaction, "subscriptions", [], ephemeral_defer=True)
