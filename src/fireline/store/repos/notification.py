"""The outbox: enqueue once per idempotency key, claim what is due, record each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from fireline.domain.notify.codec import message_from_dict, message_to_dict
from fireline.domain.notify.message import Message, MessageKind
from fireline.store.db import work_queued
from fireline.store.tables import NotificationRow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # failed an attempt; waits for next_attempt_at
DEAD = "dead"
CANCELLED = "cancelled"
WAITING = (PENDING, FAILED)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to enqueue and where it goes."""

    message: Message
    target: str
    channel_kind: str
    incident_id: int | None
    not_before: datetime
    fallback_for: int | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message an engine holds a lease on and must now send."""

    id: int
    target: str
    channel_kind: str
    incident_id: int | None
    attempts: int
    message: Message


@dataclass(frozen=True, slots=True)
class NotificationView:
    """A notification as the API shows it."""

    id: int
    idempotency_key: str
    incident_id: int | None
    kind: str
    target: str
    channel_kind: str
    recipient: str | None
    step: int | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class NotificationRepo:
    """Outbox rows in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, outgoing: Outgoing, *, now: datetime) -> bool:
        """Enqueue a message unless its idempotency key exists; tell whether it was new."""
        message = outgoing.message
        values: dict[str, Any] = {
            "idempotency_key": message.idempotency_key,
            "incident_id": outgoing.incident_id,
            "kind": message.kind.value,
            "target": outgoing.target,
            "channel_kind": outgoing.channel_kind,
            "recipient": message.recipient,
            "step": message.step,
            "message": message_to_dict(message),
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": outgoing.not_before,
            "fallback_for": outgoing.fallback_for,
            "created_at": now,
        }
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        statement = (
            insert(NotificationRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[NotificationRow.idempotency_key])
            .returning(NotificationRow.id)
        )
        added = self._session.scalar(statement) is not None
        if added:
            work_queued(self._session)
        return added

    def any_due(self, *, now: datetime) -> bool:
        """Tell, without locking anything, whether a claim now would find work."""
        return (
            self._session.scalar(select(NotificationRow.id).where(_due(now)).limit(1)) is not None
        )

    def claim(self, *, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
        """Lease up to `limit` due messages (and ones whose sender died holding them)."""
        due = _due(now)
        # One message at a time per incident and target, in the order queued: a resolve must
        # not overtake the trigger still in flight to the same PagerDuty service.
        earlier = aliased(NotificationRow)
        unsettled_before = (
            select(earlier.id)
            .where(
                earlier.incident_id == NotificationRow.incident_id,
                earlier.target == NotificationRow.target,
                earlier.id < NotificationRow.id,
                earlier.status.in_((PENDING, SENDING, FAILED)),
            )
            .exists()
        )
        rows = self._session.scalars(
            select(NotificationRow)
            .where(due, ~unsettled_before)
            .order_by(NotificationRow.next_attempt_at, NotificationRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.status = SENDING
            row.lease_until = lease_until
            row.attempts += 1
        self._session.flush()
        return [
            Claimed(
                id=row.id,
                target=row.target,
                channel_kind=row.channel_kind,
                incident_id=row.incident_id,
                attempts=row.attempts,
                message=message_from_dict(row.message),
            )
            for row in rows
        ]

    def defer(self, notification_id: int, *, until: datetime) -> None:
        """Put a claimed message back unsent until `until` (a throttle); the try is not counted."""
        self._set(
            notification_id,
            status=PENDING,
            next_attempt_at=until,
            lease_until=None,
            attempts=NotificationRow.attempts - 1,
        )

    def mark_sent(self, notification_id: int, *, now: datetime, provider_ref: str | None) -> None:
        """Record that the provider took the message."""
        self._set(
            notification_id, status=SENT, sent_at=now, lease_until=None, provider_ref=provider_ref
        )

    def mark_retry(self, notification_id: int, *, retry_at: datetime, error: str) -> None:
        """Record a failed attempt to be retried at `retry_at`."""
        self._set(
            notification_id,
            status=FAILED,
            next_attempt_at=retry_at,
            lease_until=None,
            last_error=error,
        )

    def mark_dead(self, notification_id: int, *, error: str) -> None:
        """Record that the message will not be delivered."""
        self._set(notification_id, status=DEAD, lease_until=None, last_error=error)

    def _set(self, notification_id: int, **values: Any) -> None:
        self._session.execute(
            update(NotificationRow).where(NotificationRow.id == notification_id).values(**values)
        )

    def cancel_waiting(self, incident_id: int, *, kinds: Sequence[MessageKind]) -> int:
        """Cancel the incident's unsent messages of `kinds`; return how many."""
        result = self._session.execute(
            update(NotificationRow)
            .where(
                NotificationRow.incident_id == incident_id,
                NotificationRow.status.in_(WAITING),
                NotificationRow.kind.in_([k.value for k in kinds]),
            )
            .values(status=CANCELLED, lease_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def triggered_targets(self, incident_id: int, *, prefix: str) -> list[tuple[str, str]]:
        """(target, channel kind) of targets under `prefix` the incident was triggered to."""
        rows = self._session.execute(
            select(NotificationRow.target, NotificationRow.channel_kind)
            .where(
                NotificationRow.incident_id == incident_id,
                NotificationRow.kind == MessageKind.TRIGGER.value,
                NotificationRow.target.startswith(prefix),
                NotificationRow.status.not_in((CANCELLED, DEAD)),
                NotificationRow.fallback_for.is_(None),
            )
            .distinct()
            .order_by(NotificationRow.target)
        ).all()
        return [(target, kind) for target, kind in rows]

    def sent_since(
        self, *, since: datetime, target: str | None = None, recipient: str | None = None
    ) -> list[datetime]:
        """When messages to `target` (or to anyone's methods of `recipient`) were sent."""
        query = select(NotificationRow.sent_at).where(NotificationRow.sent_at >= since)
        if target is not None:
            query = query.where(NotificationRow.target == target)
        if recipient is not None:
            query = query.where(NotificationRow.recipient == recipient)
        return [at for at in self._session.scalars(query) if at is not None]

    def list_for_incident(self, incident_id: int) -> list[NotificationView]:
        """Every message about the incident, oldest first."""
        rows = self._session.scalars(
            select(NotificationRow)
            .where(NotificationRow.incident_id == incident_id)
            .order_by(NotificationRow.id)
        ).all()
        return [_view(row) for row in rows]

    def count_by_status(self) -> dict[str, int]:
        """How many messages stand in each status."""
        rows = self._session.execute(
            select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
        ).all()
        return {status: int(count) for status, count in rows}

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name


def _due(now: datetime) -> ColumnElement[bool]:
    """Waiting messages whose time has come, and messages whose sender's lease ran out."""
    return or_(
        and_(NotificationRow.status.in_(WAITING), NotificationRow.next_attempt_at <= now),
        and_(NotificationRow.status == SENDING, NotificationRow.lease_until <= now),
    )


def _view(row: NotificationRow) -> NotificationView:
    return NotificationView(
        id=row.id,
        idempotency_key=row.idempotency_key,
        incident_id=row.incident_id,
        kind=row.kind,
        target=row.target,
        channel_kind=row.channel_kind,
        recipient=row.recipient,
        step=row.step,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )
