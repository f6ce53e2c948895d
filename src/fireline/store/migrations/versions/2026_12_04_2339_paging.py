"""Paging: the notification outbox, each incident's escalation, on-call overrides, feed tokens.

Additive only. `notifications` is the durable outbox the engine delivers from (claimed with
FOR UPDATE SKIP LOCKED on PostgreSQL); its unique idempotency key makes a page exist once.
`escalations` holds the policy snapshotted when the incident opened and the timer for its next
step. `schedule_overrides` are the run-time changes to who is on call (removed ones are kept,
marked, for the audit trail). `calendar_feed_tokens` are the per-user secrets in iCalendar feed
URLs (only their SHA-256 is stored).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 23:39:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INSTANT = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add the notifications, escalations and schedule_overrides tables."""
    _overrides()
    _feed_tokens()
    _escalations()
    _notifications()


def _overrides() -> None:
    op.create_table(
        "schedule_overrides",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("schedule", sa.String(length=64), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("start_at", INSTANT, nullable=False),
        sa.Column("end_at", INSTANT, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removed_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_overrides"),
    )
    op.create_index(
        "ix_schedule_overrides_schedule_end_at", "schedule_overrides", ["schedule", "end_at"]
    )


def _feed_tokens() -> None:
    op.create_table(
        "calendar_feed_tokens",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feed_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_calendar_feed_tokens_token_hash"),
    )
    op.create_index("ix_calendar_feed_tokens_user", "calendar_feed_tokens", ["user"])


def _escalations() -> None:
    op.create_table(
        "escalations",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("policy_name", sa.String(length=64), nullable=False),
        sa.Column("policy", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("first_cycle", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("next_at", INSTANT, nullable=True),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_escalations_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("incident_id", name="pk_escalations"),
    )
    op.create_index("ix_escalations_status_next_at", "escalations", ["status", "next_at"])


def _notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("channel_kind", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("message", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", INSTANT, nullable=False),
        sa.Column("lease_until", INSTANT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_ref", sa.String(length=255), nullable=True),
        sa.Column("fallback_for", BIG_ID, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("sent_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["fallback_for"],
            ["notifications.id"],
            name="fk_notifications_fallback_for_notifications",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_notifications_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("idempotency_key", name="uq_notifications_idempotency_key"),
    )
    for name, columns in (
        ("ix_notifications_incident_id_kind", ["incident_id", "kind"]),
        ("ix_notifications_recipient_sent_at", ["recipient", "sent_at"]),
        ("ix_notifications_status_next_attempt_at", ["status", "next_attempt_at"]),
        ("ix_notifications_target_sent_at", ["target", "sent_at"]),
    ):
        op.create_index(name, "notifications", columns)


def downgrade() -> None:
    """Drop the three tables (their indexes go with them)."""
    op.drop_table("notifications")
    op.drop_table("escalations")
    op.drop_table("calendar_feed_tokens")
    op.drop_table("schedule_overrides")
