"""Configuration: environment variables (`HOTPAPERS_*`, platform tokens) and an optional
`hotpapers.toml`, read once into one `Settings` object. Secrets are `SecretStr`: they
never appear in a repr, a log line or an error message."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.errors import ConfigurationError


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
    min_score: int = 50
    min_post_attention: int = 25
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
    # Outside services (base URLs are configurable for mirrors and tests).
    user_agent: str = "hotpapers/0.1 (+https://github.com/hotpapers/hotpapers)"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_rss_url: str = "https://rss.arxiv.org/rss/"
    arxiv_oai_url: str = "https://oaipmh.arxiv.org/oai"
    arxiv_min_interval: float = 3.0
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
    discord_global_rate: float = 48.0
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
    discord_webhook_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_WEBHOOK_URL", "HOTPAPERS_DISCORD_WEBHOOK_URL"),
    )
    http_host: str = "0.0.0.0"
    # Where `hotpapers serve`'s web archive is reachable from outside (absolute links in
    # feeds, links from the chat messages to the day's page); unset: no links in chat.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    port: int = Field(default=3000, validation_alias=AliasChoices("PORT", "HOTPAPERS_PORT"))

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


@cache
def get_settings(**overrides: Any) -> Settings:
    """The process's settings, read once. A malformed value is a one-line
    `ConfigurationError` naming the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "_".join(str(x) for x in first.get("loc", ())) or "a setting"
        raise ConfigurationError(
            f"HOTPAPERS_{name.upper()} is not valid ({first.get('msg', 'bad value')}); "
            "fix it in the environment or hotpapers.toml") from None
