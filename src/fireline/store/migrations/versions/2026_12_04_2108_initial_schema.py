"""Initial schema: services, incidents (with regions), the append-only timeline, job links, tokens.

The timeline is the audit record, so the database itself refuses UPDATE, DELETE (and, on
PostgreSQL, TRUNCATE) on `timeline_events`: no code path can rewrite history by accident.

Revision ID: 0001
Revises:
Create Date: 2026-12-04 21:08:38+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INSTANT = sa.DateTime(timezone=True)

_PG_APPEND_ONLY = """
CREATE FUNCTION fireline_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER timeline_events_append_only BEFORE UPDATE OR DELETE ON timeline_events "
    "FOR EACH ROW EXECUTE FUNCTION fireline_timeline_append_only()",
    "CREATE TRIGGER timeline_events_no_truncate BEFORE TRUNCATE ON timeline_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION fireline_timeline_append_only()",
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER timeline_events_no_update BEFORE UPDATE ON timeline_events "
    "BEGIN SELECT RAISE(ABORT, 'timeline_events is append-only: UPDATE refused'); END",
    "CREATE TRIGGER timeline_events_no_delete BEFORE DELETE ON timeline_events "
    "BEGIN SELECT RAISE(ABORT, 'timeline_events is append-only: DELETE refused'); END",
)


def upgrade() -> None:
    """Create the tables, indexes and the append-only triggers."""
    _create_tokens_and_services()
    _create_incidents()
    _create_timeline()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    """Drop everything `upgrade` created."""
    op.drop_table("timeline_events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION fireline_timeline_append_only()")
    op.drop_index("ix_incident_regions_region_incident_id", table_name="incident_regions")
    op.drop_table("incident_regions")
    op.drop_index("ix_incident_jobs_job_id_incident_id", table_name="incident_jobs")
    op.drop_table("incident_jobs")
    op.drop_index("ix_incidents_status_id", table_name="incidents")
    op.drop_index("ix_incidents_service_id_id", table_name="incidents")
    op.drop_index("ix_incidents_created_at", table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("services")
    op.drop_table("api_tokens")


def _create_tokens_and_services() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("name", name="uq_api_tokens_name"),
        sa.UniqueConstraint("secret_hash", name="uq_api_tokens_secret_hash"),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("regions", JSON, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_services"),
        sa.UniqueConstraint("name", name="uq_services_name"),
    )


def _create_incidents() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("regions", JSON, nullable=False),
        sa.Column("roles", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("acknowledged_at", INSTANT, nullable=True),
        sa.Column("mitigated_at", INSTANT, nullable=True),
        sa.Column("resolved_at", INSTANT, nullable=True),
        sa.Column("reopened_at", INSTANT, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("timeline_seq", sa.Integer(), nullable=False),
        sa.Column("timeline_head", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_incidents_service_id_services"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_incidents_created_at", "incidents", ["created_at"])
    op.create_index("ix_incidents_service_id_id", "incidents", ["service_id", "id"])
    op.create_index("ix_incidents_status_id", "incidents", ["status", "id"])
    op.create_table(
        "incident_jobs",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=128), nullable=False),
        sa.Column("linked_at", INSTANT, nullable=False),
        sa.Column("linked_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_incident_jobs_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("incident_id", "job_id", name="pk_incident_jobs"),
    )
    op.create_index(
        "ix_incident_jobs_job_id_incident_id", "incident_jobs", ["job_id", "incident_id"]
    )
    op.create_table(
        "incident_regions",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_incident_regions_incident_id_incidents",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "region", name="pk_incident_regions"),
    )
    op.create_index(
        "ix_incident_regions_region_incident_id", "incident_regions", ["region", "incident_id"]
    )


def _create_timeline() -> None:
    op.create_table(
        "timeline_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_timeline_events_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_timeline_events"),
        sa.UniqueConstraint("incident_id", "seq", name="uq_timeline_events_incident_id_seq"),
    )
