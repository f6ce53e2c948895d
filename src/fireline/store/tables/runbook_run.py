"""Runbook runs on incidents, and each step's run: the durable state of runbook automation.

A step run is unique per (incident, runbook, step): a step done for an incident is never done
again for it. The engine claims due step runs; a step whose engine died while it ran (its lease
ran out) is not run again when its action has side effects: it is marked failed, unknown.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.tables.base import Base
from fireline.store.types import UTCDateTime

BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class RunbookRunRow(Base):
    """One run of a runbook (at an exact commit) for an incident."""

    __tablename__ = "runbook_runs"
    __table_args__ = (Index("ix_runbook_runs_incident_id", "incident_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    runbook_id: Mapped[str] = mapped_column(String(100))
    commit: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(24))
    # Which steps the run takes: "all" in order, "auto" (those marked auto), or "step" (one).
    mode: Mapped[str] = mapped_column(String(8))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    started_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RunbookStepRunRow(Base):
    """One step of a run; `key` makes a step happen at most once per incident."""

    __tablename__ = "runbook_step_runs"
    __table_args__ = (
        UniqueConstraint("key", name="uq_runbook_step_runs_key"),
        Index("ix_runbook_step_runs_status_next_at", "status", "next_at"),
        Index("ix_runbook_step_runs_run_id", "run_id"),
        Index("ix_runbook_step_runs_action_started_at", "action", "started_at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runbook_runs.id"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    key: Mapped[str] = mapped_column(String(200))
    step: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(200))  # kind and target, for rate limits
    status: Mapped[str] = mapped_column(String(24))
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
