"""Who may change a Slack channel's subscription (deny by default).

Allowed: the workspace's owners and admins (`users.info`: `is_owner`, `is_admin`,
`is_primary_owner`), the channel's creator (`conversations.info`: `creator`; in a direct
message, its member), and the users and user groups listed in HOTPAPERS_SLACK_MANAGERS
(`usergroups.users.list` for a group). Everyone else is refused with one line naming who
may. Slack's answers are cached for `ttl` seconds (a burst of commands asks once), and the
questions keep to each method's tier in the workspace (`pacing.method_turn`); when
Slack can't be asked (missing scope, 5xx after the retries of `client.read`, network),
the change is refused and the answer says why.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from cachetools import TTLCache
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import read, slack_error
from adapters.slack.pacing import method_turn
from bot.ratelimit import SharedLimiter, limiter_for

CACHE_TTL = 60.0  # seconds a users.info / conversations.info answer is trusted
MAX_NAMED = 5  # managers named in a refusal
# What reading who may manage needs (besides the posting scopes).
SCOPES = ("users:read", "channels:read", "groups:read", "im:read", "usergroups:read")


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    reason: str = ""  # one line for the user when not allowed


ALLOWED = Verdict(True)


class SlackManagers:
    """Decides `Command.can_manage_channel` for Slack (see the module docstring)."""

    def __init__(self, managers: Iterable[str] = (), *, ttl: float = CACHE_TTL,
                 redis_url: SecretStr | None = None) -> None:
        self.redis_url = redis_url  # set: the method tiers are counted across workers
        listed = tuple(managers)
        self.users = frozenset(m for m in listed if m[:1] in ("U", "W"))
        self.groups = tuple(m for m in listed if m.startswith("S"))
        self._cache: TTLCache[tuple[str, ...], Any] = TTLCache(maxsize=10_000, ttl=ttl)

    async def check(self, client: AsyncWebClient, team: str, channel: str, user: str
                    ) -> Verdict:
        if user in self.users:
            return ALLOWED
        try:
            limiter = limiter_for("slack", client.token or "", redis_url=self.redis_url)
            person = await self._ask(limiter, ("users.info", team, user),
                                     lambda: client.users_info(user=user), "user")
            if any(person.get(flag) for flag in ("is_owner", "is_admin", "is_primary_owner")):
                return ALLOWED
            info = await self._ask(limiter, ("conversations.info", team, channel),
                                   lambda: client.conversations_info(channel=channel),
                                   "channel")
            if info.get("creator") == user or (info.get("is_im") and info.get("user") == user):
                return ALLOWED
            for group in self.groups:
                members = await self._ask(
                    limiter, ("usergroups.users.list", team, group),
                    lambda group=group: client.usergroups_users_list(usergroup=group),  # type: ignore[misc]
                    "users")
                if user in members:
                    return ALLOWED
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            return Verdict(False, _cannot_ask(exc))
        return Verdict(False, self._who_may(str(info.get("creator") or "")))

    async def _ask(self, limiter: SharedLimiter, key: tuple[str, ...],
                   call: Callable[[], Awaitable[Any]], field: str) -> Any:
        """`call()`'s `field`, from the cache when Slack was asked within `ttl`; else
        in its turn of the method's tier in the workspace (key: method, team, ...)."""
        if key in self._cache:
            return self._cache[key]
        await method_turn(limiter, key[1], key[0])
        resp = await read(call, key[0])
        value = resp.get(field)
        value = value if value is not None else {}
        self._cache[key] = value
        return value

    def _who_may(self, creator: str) -> str:
        people = ["workspace owners and admins"]
        if creator:
            people.append(f"<@{creator}> (who created this channel)")
        named = [f"<@{u}>" for u in sorted(self.users)] + [f"<!subteam^{g}>" for g in self.groups]
        if named:
            more = f" and {len(named) - MAX_NAMED} more" if len(named) > MAX_NAMED else ""
            people.append(", ".join(named[:MAX_NAMED]) + more)
        who = ", ".join(people[:-1]) + " and " + people[-1] if len(people) > 1 else people[0]
        return (f"Only {who} may change this channel's daily Hot Papers; ask one of them, or "
                "type /hot subscriptions to see what it gets.")


def _cannot_ask(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        code = slack_error(exc) if status < 500 else f"HTTP {status}"
        what = str(getattr(exc.response, "api_url", "") or "").rsplit("/", 1)[-1] or "Slack"
        why = f"{what}: {code}"
        if code == "missing_scope":
            why += f"; the app needs the {', '.join(SCOPES)} scopes: reinstall it"
    else:
        why = type(exc).__name__
    return (f"I couldn't ask Slack who may change this channel ({why}), so nothing was "
            "changed; try again in a minute.")
