"""Runbook automation: runs of a runbook on an incident, and each step's run.

Additive only. `runbook_step_runs.key` is unique per (incident, runbook, step), which is what
makes a step happen at most once per incident whoever asks and however often.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 00:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add the runbook_runs and runbook_step_runs tables."""
    op.create_table(
        "runbook_runs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("runbook_id", sa.String(length=100), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_runbook_runs_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_runbook_runs"),
    )
    op.create_index("ix_runbook_runs_incident_id", "runbook_runs", ["incident_id"])
    op.create_table(
        "runbook_step_runs",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("next_at", INSTANT, nullable=True),
        sa.Column("lease_until", INSTANT, nullable=True),
        sa.Column("deadline_at", INSTANT, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("started_at", INSTANT, nullable=True),
        sa.Column("finished_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_runbook_step_runs_incident_id_incidents"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runbook_runs.id"], name="fk_runbook_step_runs_run_id_runbook_runs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_runbook_step_runs"),
        sa.UniqueConstraint("key", name="uq_runbook_step_runs_key"),
    )
    for name, columns in (
        ("ix_runbook_step_runs_status_next_at", ["status", "next_at"]),
        ("ix_runbook_step_runs_run_id", ["run_id"]),
        ("ix_runbook_step_runs_action_started_at", ["action", "started_at"]),
    ):
        op.create_index(name, "runbook_step_runs", columns)


def downgrade() -> None:
    """Drop the two tables."""
    op.drop_table("runbook_step_runs")
    op.drop_table("runbook_runs")
