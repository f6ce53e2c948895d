"""Settings: read from the environment once, in `Settings()`, and passed down from there."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///fireline.db"


# Worker processes `fireline serve --workers` accepts at most.
MAX_WORKERS = 32


class Settings(BaseSettings):
    """Everything Fireline reads from its environment (variables prefixed `FIRELINE_`)."""

    model_config = SettingsConfigDict(env_prefix="FIRELINE_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    config: Path = Field(
        default=Path("fireline.yaml"),
        description="Path of the configuration-as-code file (fireline.yaml)",
    )
    host: str = Field(default="127.0.0.1", description="Address `fireline serve` binds")
    port: int = Field(default=8080, ge=0, le=65535, description="Port `fireline serve` binds")
    workers: int = Field(
        default=1,
        ge=1,
        le=MAX_WORKERS,
        description="HTTP worker processes of `fireline serve`",
    )
    auto_migrate: bool = Field(
        default=True, description="Whether `fireline serve` upgrades the database at start"
    )
    config_reload_interval_s: float = Field(
        default=1.0, ge=0, description="How often a server looks for a newly applied config"
    )
    engine_interval_s: float = Field(
        default=5.0, gt=0, description="How often the engine checks heartbeats and timers"
    )
    outbox_lease_s: float = Field(
        default=120.0,
        gt=0,
        description="How long an engine holds a message it is sending; after that (it died) "
        "another engine sends it again under the same idempotency key",
    )
    runbook_step_grace_s: float = Field(
        default=30.0,
        gt=0,
        description="How long past a runbook step's timeout its engine is presumed dead; the "
        "step is then resumed if it only reads, else marked failed (never run twice)",
    )
    log_level: str = Field(default="info", description="debug, info, warning or error")
    db_pool_size: int = Field(default=20, ge=1, description="PostgreSQL connection pool size")
    sqlite_busy_timeout_ms: int = Field(
        default=10_000, ge=0, description="How long SQLite waits for a lock before failing"
    )
