"""Each incident's escalation: the policy snapshotted when it opened, and how far it has got."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.tables.base import Base
from fireline.store.types import PortableJSON, UTCDateTime


class EscalationRow(Base):
    """The escalation of one incident; `next_at` is the timer the engine waits for."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_status_next_at", "status", "next_at"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    policy_name: Mapped[str] = mapped_column(String(64))
    policy: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    # The planner's statuses (active, acknowledged, resolved, exhausted), and "starting" for a
    # reopened incident whose first step the engine pages at once. `cycle`/`step` name the
    # step paged last.
    status: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[int] = mapped_column(Integer)
    first_cycle: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
