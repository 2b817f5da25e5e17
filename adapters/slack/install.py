"""Optional multi-workspace install (OAuth v2) for HTTP mode: `/slack/install` and
`/slack/oauth_redirect`, with installations and OAuth states kept in the project's
database (slack_sdk's async SQLAlchemy stores, tables `slack_installations`,
`slack_bots`, `slack_oauth_states`, created when missing).

Enabled when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set. Commands are then
authorised per workspace from the installation store instead of SLACK_BOT_TOKEN, and the
daily post reaches every installed workspace (`SlackWorkspacesAdapter`): each channel's
workspace comes from its subscription, the bot token from that workspace's installation,
with SLACK_BOT_TOKEN (when set) as the fallback for workspaces without one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.slack.client import AUTH_ERRORS, check_token, make_client
from adapters.slack.pacing import ChannelPacer, process_pacer
from adapters.slack.post import SlackChatAdapter
from bot.chat import Wanted
from bot.errors import ConfigurationError, PermanentDeliveryError
from bot.models import DeliveryRef, Digest, RankedPaper
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

# What the bot needs: the /hot command, posting, mentions, and reading its own messages
# back (idempotency keys in message metadata) in public and private channels.
# Who may change a channel's subscription is read with users.info, conversations.info and
# usergroups.users.list (`adapters.slack.permissions`).
BOT_SCOPES = ("commands", "chat:write", "app_mentions:read", "channels:history",
              "groups:history", "users:read", "channels:read", "groups:read", "im:read",
              "usergroups:read")
STATE_TTL = 600


def oauth_enabled(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


async def oauth_settings(
    settings: Settings, engine: AsyncEngine | None = None
) -> tuple[AsyncOAuthSettings, AsyncEngine]:
    """The OAuth settings on the project's database, and the engine (close it with
    `await engine.dispose()`)."""
    if not settings.slack_client_id or settings.slack_client_secret is None:
        raise ConfigurationError("the Slack install needs SLACK_CLIENT_ID and "
                                 "SLACK_CLIENT_SECRET (your Slack app's Basic Information page)")
    engine = engine or create_async_engine(settings.database_url)
    installations = await installation_store(settings, engine)
    states = AsyncSQLAlchemyOAuthStateStore(STATE_TTL, engine)
    await states.create_tables()  # type: ignore[no-untyped-call]
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    ), engine


async def installation_store(settings: Settings, engine: AsyncEngine
                             ) -> AsyncSQLAlchemyInstallationStore:
    """The installations of SLACK_CLIENT_ID's app in the project's database (tables
    created when missing)."""
    if not settings.slack_client_id:
        raise ConfigurationError("the Slack install needs SLACK_CLIENT_ID and "
                                 "SLACK_CLIENT_SECRET (your Slack app's Basic Information page)")
    installations = AsyncSQLAlchemyInstallationStore(settings.slack_client_id, engine)
    await installations.create_tables()  # type: ignore[no-untyped-call]
    return installations


class SlackWorkspacesAdapter:
    """Posts to channels of every workspace that installed the app (the `ChatAdapter` of
    bot.chat, platform "slack"). A channel's workspace is its subscription's
    (`Subscription.workspace`, the Slack team id); its bot token the workspace's
    installation. One `AsyncWebClient` per workspace, all on one aiohttp session and the
    process's one `ChannelPacer`, each workspace's method tiers counted apart. Channels
    of workspaces without an installation (or of no known workspace) are posted with
    SLACK_BOT_TOKEN when it is set, else refused with a `PermanentDeliveryError` (the
    publisher pauses them)."""

    platform = "slack"
    reads_back = True

    def __init__(
        self,
        settings: Settings,
        store: Store,
        installations: AsyncSQLAlchemyInstallationStore,
        *,
        session: aiohttp.ClientSession,
        fallback: SlackChatAdapter | None = None,
        fallback_team: str = "",
        pacer: ChannelPacer | None = None,
        owns_store: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.installations = installations
        self.session = session
        self.pacer = pacer or process_pacer()
        self.fallback = fallback
        self.fallback_team = fallback_team
        self._owns_store = owns_store
        self._teams: dict[str, str] = {}  # channel -> team (from its subscription)
        self._clients: dict[str, tuple[str, SlackChatAdapter]] = {}  # team -> (token, adapter)

    # --- which client posts to a channel -------------------------------------------
    async def team_of(self, channel: str) -> str:
        """The channel's workspace (Slack team id), "" when no subscription names one."""
        team = self._teams.get(channel)
        if team is None:
            sub = await self.store.get_subscription(self.platform, channel)
            team = sub.workspace if sub is not None else ""
            if team:
                self._teams[channel] = team
        return team

    async def _installed(self, team: str, *, fresh: bool = False) -> SlackChatAdapter | None:
        """The adapter on the bot token of `team`'s installation (cached per team; `fresh`
        reads the installation again), None when the workspace has none."""
        cached = self._clients.get(team)
        if cached is not None and not fresh:
            return cached[1]
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None or not bot.bot_token:
            self._clients.pop(team, None)
            return None
        if cached is not None and cached[0] == bot.bot_token:
            return cached[1]
        client = make_client(self.settings, bot.bot_token, session=self.session)
        adapter = SlackChatAdapter(client, pacer=self.pacer, team=team,
                                   per_channel_rate=self.settings.slack_rate,
                                   redis_url=self.settings.redis_url)
        self._clients[team] = (bot.bot_token, adapter)
        log.info("slack workspace %s: posting with its installation", team)
        return adapter

    async def _adapter(self, channel: str) -> tuple[SlackChatAdapter, str, bool]:
        """(adapter, team, installed?) for `channel`."""
        team = await self.team_of(channel)
        if team:
            installed = await self._installed(team)
            if installed is not None:
                return installed, team, True
        if self.fallback is not None:
            return self.fallback, team, False
        where = (f"workspace {team} has not installed the app" if team else
                 "its workspace is unknown (no subscription made with /hot subscribe)")
        raise PermanentDeliveryError(
            f"slack: no bot token for channel {channel}: {where}; install it at "
            "/slack/install or set SLACK_BOT_TOKEN")

    async def _call(self, channel: str, send: Any) -> Any:
        adapter, team, installed = await self._adapter(channel)
        try:
            return await send(adapter)
        except PermanentDeliveryError as exc:
            code = str(exc).removeprefix("slack: ")
            if installed and code in AUTH_ERRORS:
                # Reinstalled since we cached its token? Nothing was posted: try once more.
                renewed = await self._installed(team, fresh=True)
                if renewed is not None and renewed is not adapter:
                    return await send(renewed)
                raise PermanentDeliveryError(
                    f"slack: {code}: the installation of workspace {team} was revoked; "
                    "reinstall the app at /slack/install") from None
            if not installed and team and team != self.fallback_team:
                raise PermanentDeliveryError(
                    f"{exc} (workspace {team} has not installed the app; "
                    "SLACK_BOT_TOKEN belongs to another workspace)") from None
            raise

    # --- the ChatAdapter protocol --------------------------------------------------
    async def send_parent(
        self, channel: str, digest: Digest, *, key: str, notes: Iterable[str] = ()
    ) -> DeliveryRef:
        async def send(a: SlackChatAdapter) -> DeliveryRef:
            return await a.send_parent(channel, digest, key=key, notes=notes)
        ref: DeliveryRef = await self._call(channel, send)
        return ref

    async def send_paper(
        self, channel: str, parent: DeliveryRef, digest: Digest, paper: RankedPaper, *,
        key: str,
    ) -> DeliveryRef:
        async def send(a: SlackChatAdapter) -> DeliveryRef:
            return await a.send_paper(channel, parent, digest, paper, key=key)
        ref: DeliveryRef = await self._call(channel, send)
        return ref

    async def find_message(
        self, channel: str, wanted: Wanted, parent: DeliveryRef | None
    ) -> DeliveryRef | None:
        async def find(a: SlackChatAdapter) -> DeliveryRef | None:
            return await a.find_message(channel, wanted, parent)
        found: DeliveryRef | None = await self._call(channel, find)
        return found

    async def close(self) -> None:
        self._clients.clear()
        if not self.session.closed:
            await self.session.close()
        if self._owns_store:
            self._owns_store = False
            await self.store.close()


async def open_workspaces_adapter(settings: Settings) -> SlackWorkspacesAdapter:
    """The posting adapter of OAuth mode: installations and subscriptions read from
    settings.database_url; SLACK_BOT_TOKEN, when set, is checked with `auth.test` (a
    one-line ConfigurationError when revoked) and used for workspaces not installed."""
    from bot.store import Store

    store = await Store.open(settings.database_url)
    session: aiohttp.ClientSession | None = None
    try:
        installations = await installation_store(settings, store.engine)
        session = aiohttp.ClientSession()
        pacer = process_pacer()
        fallback, fallback_team = None, ""
        token = settings.slack_bot_token
        if token is not None and token.get_secret_value():
            client = make_client(settings, token.get_secret_value(), session=session)
            identity = await check_token(client)
            fallback_team = str(identity.get("team_id") or "")
            fallback = SlackChatAdapter(client, pacer=pacer, per_channel_rate=settings.slack_rate,
                                        team_url=str(identity.get("url") or "") or None,
                                        team=fallback_team, redis_url=settings.redis_url)
        return SlackWorkspacesAdapter(settings, store, installations, session=session,
                                      fallback=fallback, fallback_team=fallback_team,
                                      pacer=pacer, owns_store=True)
    except BaseException:
        if session is not None:
            await session.close()
        await store.close()
        raise
