"""The outbox: enqueue once per idempotency key, claim what is due, record each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Integer, Row, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from fireline.domain.notify.codec import message_from_dict, message_to_dict
from fireline.domain.notify.message import Message, MessageKind
from fireline.store.bulk_insert import insert_all
from fireline.store.db import work_queued
from fireline.store.tables import NotificationRow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"  # failed an attempt; waits for next_attempt_at
DEAD = "dead"
CANCELLED = "cancelled"
WAITING = (PENDING, FAILED)
UNSETTLED = (PENDING, SENDING, FAILED)

# Statements of the engine's hot paths, built once: building them per call cost more than
# running them (the engine asks "anything due?" after every commit that queued work).
_T = NotificationRow.metadata.tables[NotificationRow.__tablename__]
_NOW: BindParameter[datetime] = bindparam("now")


def _due_in(table: Any) -> Any:
    """Waiting messages whose time has come, and messages whose sender's lease ran out."""
    return or_(
        and_(table.c.status.in_(WAITING), table.c.next_attempt_at <= _NOW),
        and_(table.c.status == SENDING, table.c.lease_until <= _NOW),
    )


_ANY_DUE = select(_T.c.id).where(_due_in(_T)).limit(1)
# One message at a time per incident and target, in the order queued: a resolve must not
# overtake the trigger still in flight to the same PagerDuty service.
_CANDIDATE = _T.alias("candidate")
_EARLIER = _T.alias("earlier")
_UNSETTLED_BEFORE = (
    select(_EARLIER.c.id)
    .where(
        _EARLIER.c.incident_id == _CANDIDATE.c.incident_id,
        _EARLIER.c.target == _CANDIDATE.c.target,
        _EARLIER.c.id < _CANDIDATE.c.id,
        _EARLIER.c.status.in_(UNSETTLED),
    )
    .exists()
)
_CLAIMABLE = (
    select(_CANDIDATE.c.id)
    .where(_due_in(_CANDIDATE), ~_UNSETTLED_BEFORE)
    .order_by(_CANDIDATE.c.next_attempt_at, _CANDIDATE.c.id)
    .limit(bindparam("limit", type_=Integer))
    .with_for_update(skip_locked=True)
)
# Lease and count the attempt in the statement that picks the rows: one round trip.
_CLAIM = (
    update(_T)
    .where(_T.c.id.in_(_CLAIMABLE.scalar_subquery()))
    .values(status=SENDING, lease_until=bindparam("lease"), attempts=_T.c.attempts + 1)
    .returning(
        _T.c.id,
        _T.c.target,
        _T.c.channel_kind,
        _T.c.incident_id,
        _T.c.attempts,
        _T.c.message,
        _T.c.next_attempt_at,
    )
)
_BY_ID = _T.c.id == bindparam("nid")
_MARK_SENT = (
    update(_T)
    .where(_BY_ID)
    .values(status=SENT, sent_at=_NOW, lease_until=None, provider_ref=bindparam("ref"))
)
_MARK_RETRY = (
    update(_T)
    .where(_BY_ID)
    .values(
        status=FAILED,
        next_attempt_at=bindparam("retry_at"),
        lease_until=None,
        last_error=bindparam("error"),
    )
)
_MARK_DEAD = (
    update(_T).where(_BY_ID).values(status=DEAD, lease_until=None, last_error=bindparam("error"))
)
_DEFER = (
    update(_T)
    .where(_BY_ID)
    .values(
        status=PENDING,
        next_attempt_at=bindparam("until"),
        lease_until=None,
        attempts=_T.c.attempts - 1,
    )
)
# A message whose idempotency key exists is not queued again (store/bulk_insert.py).
_QUEUE_SUFFIX = "ON CONFLICT (idempotency_key) DO NOTHING"


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
    """Outbox rows in one transaction.

    Messages `queue`d are written together, in one statement, when the unit of work commits
    (or before anything here reads or changes the outbox): opening a batch of incidents that
    each page someone sends one INSERT, not one per page. So are the messages `mark_sent`:
    an engine settling a batch of deliveries sends one UPDATE.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._unwritten: list[dict[str, Any]] = []
        self._sent: list[dict[str, Any]] = []

    def queue(self, outgoing: Outgoing, *, now: datetime) -> None:
        """Enqueue a message unless its idempotency key exists (written by `write_pending()`)."""
        self._unwritten.append(_values(outgoing, now))
        work_queued(self._session)

    def write_pending(self) -> None:
        """Write what `queue` and `mark_sent` recorded; the unit of work calls it before commit."""
        if self._unwritten:
            rows, self._unwritten = self._unwritten, []
            connection = self._session.connection()
            insert_all(connection, table=_T, rows=rows, suffix=_QUEUE_SUFFIX)
        if self._sent:
            sent, self._sent = self._sent, []
            self._session.connection().execute(_MARK_SENT, sent)

    def add(self, outgoing: Outgoing, *, now: datetime) -> bool:
        """Enqueue a message now unless its idempotency key exists; tell whether it was new."""
        self.write_pending()
        connection = self._session.connection()
        rows = [_values(outgoing, now)]
        added = bool(
            insert_all(connection, table=_T, rows=rows, suffix=f"{_QUEUE_SUFFIX} RETURNING id")
        )
        if added:
            work_queued(self._session)
        return added

    def any_due(self, *, now: datetime) -> bool:
        """Tell, without locking anything, whether a claim now would find work."""
        self.write_pending()
        return self._session.connection().execute(_ANY_DUE, {"now": now}).first() is not None

    def claim(self, *, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
        """Lease up to `limit` due messages (and ones whose sender died holding them)."""
        self.write_pending()
        rows = self._session.connection().execute(
            _CLAIM, {"now": now, "lease": lease_until, "limit": limit}
        )
        return [_claimed(row) for row in sorted(rows, key=lambda r: (r.next_attempt_at, r.id))]

    def defer(self, notification_id: int, *, until: datetime) -> None:
        """Put a claimed message back unsent until `until` (a throttle); the try is not counted."""
        self.write_pending()
        self._run(_DEFER, nid=notification_id, until=until)

    def mark_sent(self, notification_id: int, *, now: datetime, provider_ref: str | None) -> None:
        """Record that the provider took the message (written by `write_pending()`)."""
        self._sent.append({"nid": notification_id, "now": now, "ref": provider_ref})

    def mark_retry(self, notification_id: int, *, retry_at: datetime, error: str) -> None:
        """Record a failed attempt to be retried at `retry_at`."""
        self.write_pending()
        self._run(_MARK_RETRY, nid=notification_id, retry_at=retry_at, error=error)

    def mark_dead(self, notification_id: int, *, error: str) -> None:
        """Record that the message will not be delivered."""
        self.write_pending()
        self._run(_MARK_DEAD, nid=notification_id, error=error)

    def _run(self, statement: Any, **params: Any) -> None:
        self._session.connection().execute(statement, params)

    def cancel_waiting(self, incident_id: int, *, kinds: Sequence[MessageKind]) -> int:
        """Cancel the incident's unsent messages of `kinds`; return how many."""
        self.write_pending()
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
        self.write_pending()
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
        self.write_pending()
        query = select(NotificationRow.sent_at).where(NotificationRow.sent_at >= since)
        if target is not None:
            query = query.where(NotificationRow.target == target)
        if recipient is not None:
            query = query.where(NotificationRow.recipient == recipient)
        return [at for at in self._session.scalars(query) if at is not None]

    def list_for_incident(self, incident_id: int) -> list[NotificationView]:
        """Every message about the incident, oldest first."""
        self.write_pending()
        rows = self._session.scalars(
            select(NotificationRow)
            .where(NotificationRow.incident_id == incident_id)
            .order_by(NotificationRow.id)
        ).all()
        return [_view(row) for row in rows]

    def count_by_status(self) -> dict[str, int]:
        """How many messages stand in each status."""
        self.write_pending()
        rows = self._session.execute(
            select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
        ).all()
        return {status: int(count) for status, count in rows}


def _values(outgoing: Outgoing, now: datetime) -> dict[str, Any]:
    message = outgoing.message
    return {
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


def _claimed(row: Row[Any]) -> Claimed:
    return Claimed(
        id=row.id,
        target=row.target,
        channel_kind=row.channel_kind,
        incident_id=row.incident_id,
        attempts=row.attempts,
        message=message_from_dict(row.message),
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
