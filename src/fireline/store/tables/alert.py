"""Alerts as received, deduplicated: one open (firing) row per integration and dedup key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.tables.base import Base
from fireline.store.types import PortableJSON, UTCDateTime

FIRING = "firing"
_OPEN = text("status = 'firing'")


class AlertRow(Base):
    """One alert; repeats of a firing alert update it and count `occurrences`."""

    __tablename__ = "alerts"
    __table_args__ = (
        # The dedup key: at most one firing alert per integration and key, enforced by the
        # database so that concurrent repeats become one upsert, never a race.
        Index(
            "uq_alerts_open_dedup",
            "integration",
            "dedup_key",
            unique=True,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        ),
        Index("ix_alerts_incident_id_status", "incident_id", "status"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    integration: Mapped[str] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(1024))
    severity: Mapped[str | None] = mapped_column(String(32), nullable=True)
    labels: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    annotations: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    details: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    generator_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    occurrences: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(64))
    group_key: Mapped[str] = mapped_column(String(512))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
