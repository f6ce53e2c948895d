"""Column types shared by the tables: aware UTC instants and portable JSON."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from typing_extensions import override

PortableJSON = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants in UTC and always reads them back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Refuse naive datetimes; store UTC (naive on SQLite, which has no zone type)."""
        if value is None:
            return None
        utc = _utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    @override
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, write the text SQLAlchemy's own processors write, several times faster."""
        if dialect.name == "sqlite":
            return sqlite_utc_text
        return super().bind_processor(dialect)

    @override
    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value)!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@lru_cache(maxsize=4096)
def sqlite_utc_text(value: datetime | None) -> str | None:
    """Write an instant as SQLite stores a UTCDateTime: `2026-12-05 10:00:00.000000`, UTC.

    The text of SQLAlchemy's SQLite DATETIME processor (property-tested), which formats field
    by field, written by `isoformat`. Remembered, as equal instants give equal text: a batch
    of alerts writes its clock reading and its senders' start times over and over (about
    10 % of a batch's CPU before). A naive datetime never equals an aware one, so it is
    still refused.
    """
    if value is None:
        return None
    return _utc(value).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _utc(value: datetime) -> datetime:
    """Return the instant in UTC; refuse a naive datetime, whose zone nobody knows."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value if value.tzinfo is UTC else value.astimezone(UTC)
