"""Configuration: environment variables (`HOTPAPERS_*`, platform tokens) and an optional
`hotpapers.toml`, read once into one `Settings` object. Secrets are `SecretStr`: they
never appear in a repr, a log line or an error message."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


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
    # Daily schedule.
    post_time: dt.time = dt.time(9, 0)
    timezone: str = "UTC"
    catch_up: bool = True  # post missed days after downtime (False: skip them)
    # How long a poster's claim on a thread lasts without renewal (a crashed poster's
    # threads are taken over after this many seconds).
    lease_seconds: float = Field(default=90.0, gt=0)
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
    # messages/s per Slack channel; unset: Slack's documented pace (about 1)
    slack_rate: float | None = Field(default=None, gt=0)
    discord_webhook_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_WEBHOOK_URL", "HOTPAPERS_DISCORD_WEBHOOK_URL"),
    )
    http_host: str = "0.0.0.0"
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
    """The process's settings, read once."""
    return Settings(**overrides)
