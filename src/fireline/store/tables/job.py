"""Links between incidents and the platform job IDs they touched."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.tables.base import Base
from fireline.store.types import UTCDateTime


class IncidentJobRow(Base):
    """One job ID linked to one incident."""

    __tablename__ = "incident_jobs"
    __table_args__ = (Index("ix_incident_jobs_job_id_incident_id", "job_id", "incident_id"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    linked_by: Mapped[str] = mapped_column(String(100))
