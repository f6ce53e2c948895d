"""Configuration as code: apply `fireline.yaml`, recording which revision is live.

Applying stores the file's text and revision (its Git commit, or a content hash) and upserts
the services it declares. Every running server switches to the newest revision within
`FIRELINE_CONFIG_RELOAD_INTERVAL_S`, without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fireline.domain.configuration import Configuration
from fireline.domain.errors import FieldError, Invalid
from fireline.services.config_store import record_revision
from fireline.services.configfile import ConfigUnreadable, load_config
from fireline.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a file did."""

    configuration: Configuration
    revision_id: int
    new_revision: bool


def apply_file(
    uow: UnitOfWork, *, path: Path, configuration: Configuration, applied_by: str, now: datetime
) -> Applied:
    """Record an already checked `configuration` read from `path` as the live revision."""
    content = path.read_text(encoding="utf-8")
    revision_id, new = record_revision(
        uow,
        configuration=configuration,
        content=content,
        source=str(path),
        applied_by=applied_by,
        now=now,
    )
    return Applied(configuration, revision_id, new)


def apply_services_file(
    uow: UnitOfWork, *, path: Path, now: datetime, applied_by: str = "fireline serve"
) -> tuple[int, int]:
    """Check and apply `path`; return (services, revisions recorded: 1 if new, else 0).

    Raise Invalid naming every problem (ConfigInvalid, with lines) when the file is bad or
    cannot be read.
    """
    try:
        configuration = load_config(path)
    except ConfigUnreadable as error:
        raise Invalid([FieldError(str(path), error.detail)], detail=error.detail) from error
    applied = apply_file(
        uow, path=path, configuration=configuration, applied_by=applied_by, now=now
    )
    return len(configuration.services), int(applied.new_revision)
