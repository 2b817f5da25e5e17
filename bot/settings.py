"""Configuration: environment variables (`HOTPAPERS_*`, platform tokens) and an optional
`hotpapers.toml`, read once into one `Settings` object. Secrets are `SecretStr`: they
never appear in a repr, a log line or an error message (`secret_values` lists them for
the log filter of `bot.redact`).

`get_settings()` turns a setting that doesn't parse into ONE line naming the variable,
the wrong value (never a secret's) and what is accepted, as a `ConfigurationError`:
"HOTPAPERS_POST_TIME=25:00: not a time of day; use HH:MM, for example 09:00"."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import limits
import platformdirs
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from bot.errors import ConfigurationError
from bot.redact import parse_webhook_url
from bot.setting_errors import describe_settings_error, describe_validation_error

WEBHOOK_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
SLACK_MANAGER = re.compile(r"^[UWS][A-Z0-9]{2,20}$")  # a user (U..., W...) or user group (S...)


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("hotpapers", appauthor=False))
    return f"sqlite+aiosqlite:///{data_dir / 'hotpapers.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOTPAPERS_",
        toml_file="hotpapers.toml",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = Field(default_factory=default_database_url)
    # The arXiv listing the digest ranks (the blog's: cs + stat.ML, new + cross-lists).
    listing: tuple[str, ...] = ("cs", "stat.ML")
    # Ranking rules (the seed's defaults).
    min_score: int = Field(default=50, ge=0)
    min_post_attention: int = Field(default=25, ge=0)
    source_weights: dict[str, float] = Field(default_factory=dict)
    # Fair counting of live builds (imported digests keep the totals they were stored
    # with): one account once per paper and source; auto-posters (listed as `x:handle`,
    # `bluesky:handle` or a bare handle, or found by the rule: more than
    # `auto_poster_min_papers` papers in the window at under `auto_poster_max_attention`
    # reposts + likes a post) counted x`auto_poster_factor`; the authors' own posts.
    fair_counting: bool = True
    auto_posters: tuple[str, ...] = ()
    auto_poster_rule: bool = True
    auto_poster_min_papers: int = Field(default=10, ge=1)
    auto_poster_max_attention: float = Field(default=3.0, ge=0)
    auto_poster_factor: float = Field(default=0.1, ge=0, le=1)
    count_self_posts: bool = True
    # "rank": each source's attention becomes its percentile that day before the weights.
    source_normalisation: Literal["none", "rank"] = "none"
    window_top: int = Field(default=30, ge=1)  # papers in a week or month digest
    # Daily schedule.
    post_time: dt.time = dt.time(9, 0)
    timezone: str = "UTC"
    catch_up: bool = True  # post missed days after downtime (False: skip them)
    # How long a poster's claim on a thread lasts without renewal (a crashed poster's
    # threads are taken over after this many seconds).
    lease_seconds: float = Field(default=90.0, gt=0)
    # Jobs (PostgreSQL: procrastinate; SQLite: in-process, these don't apply): how often
    # the daily tick runs (seconds, 1-60), how often an idle worker polls for jobs (LISTEN/
    # NOTIFY wakes it sooner), jobs one worker runs at once, channels per fan-out job,
    # the first retry delay of a failed job (doubled per attempt, capped at 10 minutes),
    # the tries of a day's build before its job is left failed (a later tick queues the
    # build again; post jobs are tried for two days). A worker silent for `fleet_ttl`
    # (below) is dead: its jobs run again.
    tick_seconds: int = Field(default=60, ge=1, le=60)
    job_poll_seconds: float = Field(default=5.0, gt=0)
    job_concurrency: int = Field(default=8, ge=1)
    job_batch: int = Field(default=20, ge=1)
    job_retry_seconds: float = Field(default=10.0, gt=0)
    build_attempts: int = Field(default=12, ge=1)
    # Outside services (base URLs are configurable for mirrors and tests).
    user_agent: str = "hotpapers/0.1 (+https://github.com/hotpapers/hotpapers)"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_rss_url: str = "https://rss.arxiv.org/rss/"
    arxiv_oai_url: str = "https://oaipmh.arxiv.org/oai"
    arxiv_min_interval: float = Field(default=3.0, ge=0)
    hn_url: str = "https://hn.algolia.com/api/v1/"
    hf_url: str = "https://huggingface.co/api/"
    bluesky_url: str = "https://bsky.social/xrpc/"
    x_url: str = "https://api.x.com/2/"
    bluesky_handle: str | None = None
    bluesky_app_password: SecretStr | None = None
    x_bearer_token: SecretStr | None = None
    # Tries per request to a social source (429/5xx/timeouts back off between them).
    source_attempts: int = Field(default=5, ge=1)
    # A day built partial (some sources failed) or not at all (every source failed) is
    # built again after this many seconds, doubled per build that fell short, capped.
    # At least a minute: the worker must never spin on a day whose sources keep failing.
    build_retry_after: float = Field(default=900.0, ge=60)
    build_retry_max: float = Field(default=6 * 3600.0, ge=60)
    # Platforms: the tokens carry their usual names, without the HOTPAPERS_ prefix.
    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "HOTPAPERS_SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "HOTPAPERS_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "HOTPAPERS_SLACK_SIGNING_SECRET"),
    )
    slack_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_ID", "HOTPAPERS_SLACK_CLIENT_ID")
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "HOTPAPERS_SLACK_CLIENT_SECRET"),
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("SLACK_API_URL", "HOTPAPERS_SLACK_API_URL"),
    )
    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "HOTPAPERS_DISCORD_TOKEN")
    )
    discord_api_url: str = Field(
        default="https://discord.com/api/v10",
        validation_alias=AliasChoices("DISCORD_API_URL", "HOTPAPERS_DISCORD_API_URL"),
    )
    discord_gateway_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_GATEWAY_URL", "HOTPAPERS_DISCORD_GATEWAY_URL"),
    )
    # discord.py follows per-route buckets itself; this caps all REST calls together
    # (Discord's global limit is 50 requests/s per bot; keep a 4% margin).
    discord_global_rate: float = Field(default=48.0, gt=0)
    # Where every worker of the bot counts its rate limits together (bot.ratelimit):
    # redis://[:password@]host:port[/db] or rediss://...; unset: each worker paces at
    # its share (the rate divided by the live workers). A secret: a URL may hold one.
    redis_url: SecretStr | None = None
    # Gateway shards (one shard serves at most 2,500 guilds): a count, or `auto` (the
    # `shards` Discord recommends in GET /gateway/bot). Every gateway process must use
    # the same count; the shard ids are split among the live ones (`bot.shards`).
    discord_shards: int | Literal["auto"] = "auto"
    # HTTP interactions (`hotpapers serve` answers slash commands at /discord/interactions
    # without a gateway connection): the application's public key and id.
    discord_public_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_PUBLIC_KEY", "HOTPAPERS_DISCORD_PUBLIC_KEY"),
    )
    discord_application_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_APPLICATION_ID",
                                      "HOTPAPERS_DISCORD_APPLICATION_ID"),
    )
    # `webhook:default`; more webhooks by name in `discord_webhooks` (`webhook:lab`).
    # messages/s per Slack channel; unset: Slack's documented pace (about 1)
    slack_rate: float | None = Field(default=None, gt=0)
    discord_webhook_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_WEBHOOK_URL", "HOTPAPERS_DISCORD_WEBHOOK_URL"),
    )
    discord_webhooks: dict[str, SecretStr] = Field(default_factory=dict)
    # Who may change a Slack channel's subscription besides workspace owners and admins
    # and the channel's creator: user ids (U..., W...) and user group ids (S...).
    slack_managers: Annotated[tuple[str, ...], NoDecode] = ()
    # Chat commands a user / a channel may send (the `limits` library's notation), and
    # how long the same /hot in a channel answers with the thread already posted.
    command_limit_user: str = "10/minute"
    command_limit_channel: str = "30/minute"
    repeat_window: float = Field(default=600.0, ge=0)  # seconds
    http_host: str = "0.0.0.0"
    # Where `hotpapers serve`'s web archive is reachable from outside (absolute links in
    # feeds, links from the chat messages to the day's page); unset: no links in chat.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    port: int = Field(default=3000, ge=1, le=65535,
                      validation_alias=AliasChoices("PORT", "HOTPAPERS_PORT"))
    # The fleet (`bot.fleet`): a worker beats every `fleet_heartbeat` seconds and is
    # live while seen within `fleet_ttl`; a shard lease lasts `fleet_ttl` too, so a dead
    # process's Discord shards are taken over about `fleet_ttl` seconds after it died.
    fleet_heartbeat: float = Field(default=5.0, gt=0)
    fleet_ttl: float = Field(default=20.0, gt=0)
    # `hotpapers run` serves /metrics and /healthz on this port when set (each worker is
    # its own scrape target: its counters are its own).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value

    @field_validator("discord_shards", mode="before")
    @classmethod
    def _shards(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        if not text.isdigit() or int(text) < 1:
            raise ValueError("not a shard count")
        return int(text)

    @model_validator(mode="after")
    def _fleet_ttl(self) -> Settings:
        if self.fleet_ttl <= self.fleet_heartbeat:
            raise ValueError(
                f"HOTPAPERS_FLEET_TTL={self.fleet_ttl:g} must be longer than "
                f"HOTPAPERS_FLEET_HEARTBEAT={self.fleet_heartbeat:g}; use for example 20 and 5")
        return self

    @field_validator("discord_webhook_url")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and parse_webhook_url(value.get_secret_value()) is None:
            raise ValueError("not a webhook URL")
        return value

    @field_validator("discord_webhooks")
    @classmethod
    def _webhooks(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, url in value.items():
            if name == "default" or not WEBHOOK_NAME.match(name):
                raise ValueError("bad webhook name")
            if parse_webhook_url(url.get_secret_value()) is None:
                raise ValueError("not a webhook URL")
        return value

    @field_validator("slack_managers", mode="before")
    @classmethod
    def _managers(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else re.split(r"[\s,]+", text)
        if isinstance(value, list | tuple):
            ids = tuple(str(v).strip() for v in value if str(v).strip())
            if not all(SLACK_MANAGER.match(i) for i in ids):
                raise ValueError("not Slack user or user group ids")
            return ids
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(r"^rediss?://[^\s/?]+(/\d*)?(\?\S*)?$",
                                              value.get_secret_value()):
            raise ValueError("not a Redis URL")
        return value

    @field_validator("command_limit_user", "command_limit_channel")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError("not a rate") from None
        return value

    def webhook_url(self, name: str) -> SecretStr | None:
        """The webhook URL `webhook:<name>` posts to: `default` is DISCORD_WEBHOOK_URL,
        other names come from HOTPAPERS_DISCORD_WEBHOOKS (None when not configured)."""
        if name == "default":
            return self.discord_webhook_url
        return self.discord_webhooks.get(name)

    def webhook_names(self) -> tuple[str, ...]:
        names = ("default",) if self.discord_webhook_url is not None else ()
        return names + tuple(sorted(n for n in self.discord_webhooks if not n.isdigit()))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def secret_values(settings: Settings) -> tuple[str, ...]:
    """Every configured secret value (for the log filter): the `SecretStr` settings, the
    webhook URLs and the password of the database URL."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        values = value.values() if isinstance(value, dict) else [value]
        found += [v.get_secret_value() for v in values if isinstance(v, SecretStr)]
    password = re.search(r"://[^/:@]*:([^@/]+)@", settings.database_url)
    if password:
        found.append(password[1])
    return tuple(v for v in found if v)


@cache
def get_settings(**overrides: Any) -> Settings:
    """The process's settings, read once. A setting that doesn't parse raises a
    ConfigurationError of one line (the variable, the value, what is accepted)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(
            describe_validation_error(exc, Settings.model_fields, HINTS)) from None
    except SettingsError as exc:
        raise ConfigurationError(
            describe_settings_error(exc, Settings.model_fields, HINTS)) from None


# What each setting accepts, for its one-line error (`bot.setting_errors`).
HINTS = {
    "post_time": "not a time of day; use HH:MM, for example 09:00",
    "timezone": "not a time zone; use an IANA name, for example UTC or Europe/Berlin",
    "catch_up": "not true or false; use true or false",
    "port": "not a port; use a whole number from 1 to 65535, for example 3000",
    "listing": 'not a JSON list of arXiv categories; use for example ["cs", "stat.ML"]',
    "source_weights": 'not a JSON object of source weights; use for example {"hn": 2}',
    "discord_webhooks": ('not a JSON object of webhook names (lower-case letters, digits, - '
                         'and _; not "default") and Discord webhook URLs; use for example '
                         '{"lab": "https://discord.com/api/webhooks/ID/TOKEN"}'),
    "discord_webhook_url": ("not a Discord webhook URL; copy it from Channel settings -> "
                            "Integrations -> Webhooks (https://discord.com/api/webhooks/ID/TOKEN)"),
    "slack_managers": ("not a list of Slack user or user group ids; use for example "
                       "U0123ABCD,S0456EFGH"),
    "command_limit_user": "not a rate; use a count per unit, for example 10/minute",
    "command_limit_channel": "not a rate; use a count per unit, for example 30/minute",
    "source_normalisation": "not a normalisation; use none or rank",
    "fair_counting": "not true or false; use true or false",
    "count_self_posts": "not true or false; use true or false",
    "auto_posters": 'not a JSON list of account handles; use for example ["arxiv_bot"]',
    "redis_url": "not a Redis URL; use for example redis://127.0.0.1:6379/0",
    "public_url": "not a web address; use for example https://hotpapers.example.org",
    "discord_shards": "not a shard count; use auto or a whole number of at least 1, for example 4",
}
