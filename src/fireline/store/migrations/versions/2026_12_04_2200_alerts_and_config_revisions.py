"""Alerts, applied configuration revisions, and the group key that ties alerts to an incident.

Additive only, so an older server keeps working against this schema. Two partial unique
indexes make intake race-free: one firing alert per (integration, dedup_key), and one open
incident per group key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 22:00:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INSTANT = sa.DateTime(timezone=True)
OPEN_ALERT = sa.text("status = 'firing'")
OPEN_GROUP = sa.text("group_key IS NOT NULL AND status != 'resolved'")


def upgrade() -> None:
    """Add the alerts and config_revisions tables and the incidents' group key."""
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("group_key", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("runbook_url", sa.Text(), nullable=True))
    op.create_index(
        "uq_incidents_open_group_key",
        "incidents",
        ["group_key"],
        unique=True,
        postgresql_where=OPEN_GROUP,
        sqlite_where=OPEN_GROUP,
    )
    op.create_table(
        "alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("integration", sa.String(length=64), nullable=False),
        sa.Column("dedup_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.String(length=1024), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=True),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("annotations", JSON, nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("generator_url", sa.Text(), nullable=True),
        sa.Column("starts_at", INSTANT, nullable=True),
        sa.Column("ends_at", INSTANT, nullable=True),
        sa.Column("first_seen_at", INSTANT, nullable=False),
        sa.Column("last_seen_at", INSTANT, nullable=False),
        sa.Column("resolved_at", INSTANT, nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=512), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_alerts_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index(
        "uq_alerts_open_dedup",
        "alerts",
        ["integration", "dedup_key"],
        unique=True,
        postgresql_where=OPEN_ALERT,
        sqlite_where=OPEN_ALERT,
    )
    op.create_index("ix_alerts_incident_id_status", "alerts", ["incident_id", "status"])
    op.create_table(
        "config_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("applied_at", INSTANT, nullable=False),
        sa.Column("applied_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_config_revisions"),
    )


def downgrade() -> None:
    """Remove what `upgrade` added."""
    op.drop_table("config_revisions")
    op.drop_index("ix_alerts_incident_id_status", table_name="alerts")
    op.drop_index("uq_alerts_open_dedup", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("uq_incidents_open_group_key", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("runbook_url")
        batch.drop_column("group_key")
