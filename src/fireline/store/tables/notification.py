"""The outbox: every message to send, written in the transaction of the change that caused it.

A row moves `pending → sending (lease_until) → sent | failed (next_attempt_at) | dead`, or to
`cancelled` when the incident was acknowledged or resolved before a delayed page went out.
A `sending` row whose lease ran out belongs to an engine that died mid-delivery: another
engine claims it again, and the idempotency key makes the provider see one message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fireline.store.tables.base import Base
from fireline.store.types import PortableJSON, UTCDateTime


class NotificationRow(Base):
    """One message to one destination."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_incident_id_kind", "incident_id", "kind"),
        Index("ix_notifications_target_sent_at", "target", "sent_at"),
        Index("ix_notifications_recipient_sent_at", "recipient", "sent_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Where it goes: "channel:<name>" or "user:<name>/<contact method>"; resolved to an address
    # and credentials from the live configuration when sent, so no secret is stored here.
    target: Mapped[str] = mapped_column(String(200))
    channel_kind: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    fallback_for: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
