"""The incidents table and the region index beside it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.tables.base import Base
from fireline.store.types import PortableJSON, UTCDateTime

# Which incidents the unique group-key index covers (an insert's ON CONFLICT names it too).
OPEN_GROUP = text("group_key IS NOT NULL AND status != 'resolved'")


class IncidentRow(Base):
    """One incident; `timeline_seq`/`timeline_head` are the tip of its hash chain."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_id", "status", "id"),
        Index("ix_incidents_service_id_id", "service_id", "id"),
        Index("ix_incidents_created_at", "created_at"),
        # Alerts with one group key share one open incident: the database keeps it unique.
        Index(
            "uq_incidents_open_group_key",
            "group_key",
            unique=True,
            postgresql_where=OPEN_GROUP,
            sqlite_where=OPEN_GROUP,
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    regions: Mapped[list[Any]] = mapped_column(PortableJSON)
    roles: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    timeline_seq: Mapped[int] = mapped_column(Integer)
    timeline_head: Mapped[str] = mapped_column(String(64))
    group_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    runbook_url: Mapped[str | None] = mapped_column(Text, nullable=True)


class IncidentRegionRow(Base):
    """One region an incident affects, kept as rows so that filtering by region uses an index."""

    __tablename__ = "incident_regions"
    __table_args__ = (Index("ix_incident_regions_region_incident_id", "region", "incident_id"),)

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
