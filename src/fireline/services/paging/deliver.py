"""Delivering the outbox: claim what is due, send it (outside any transaction), record outcomes.

At least once, effectively once: a claimed message carries a lease; if the engine dies while
sending, the lease runs out and another claim sends it again under the same idempotency key
(PagerDuty's dedup_key, Opsgenie's alias, our Idempotency-Key header), so the provider sees
one message. Every outcome is an event on the incident's timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fireline.domain.configuration import OnCall
from fireline.domain.errors import NotFound
from fireline.domain.incidents.incident import Entry
from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message
from fireline.domain.notify.retry import RetryPolicy, judge
from fireline.domain.notify.throttle import DEFAULT_THROTTLES, USER_THROTTLE, next_allowed
from fireline.services.paging.destinations import USER, channel_target, destination_for
from fireline.services.timeline import append
from fireline.store.repos.notification import Claimed, Outgoing
from fireline.store.uow import Tx, UnitOfWork

ACTOR = "fireline:paging"


@dataclass(frozen=True, slots=True)
class Delivering:
    """A claimed message and where it goes (or why it cannot go anywhere)."""

    claimed: Claimed
    destination: Destination | None
    problem: str | None = None


def claim_deliveries(
    uow: UnitOfWork, *, oncall: OnCall, now: datetime, lease: timedelta, limit: int
) -> list[Delivering]:
    """Lease up to `limit` due messages; throttled ones go back to wait for their turn."""
    with uow.read() as tx:
        # A write transaction takes SQLite's one write lock from intake: look first.
        if not tx.notifications.any_due(now=now):
            return []
    with uow.write() as tx:
        claimed = tx.notifications.claim(now=now, lease_until=now + lease, limit=limit)
        ready: list[Delivering] = []
        batch: list[Claimed] = []  # sends planned in this batch count against the throttles
        for item in claimed:
            until = _throttled_until(tx, item, batch=batch, now=now)
            if until is not None:
                tx.notifications.defer(item.id, until=until)
                continue
            batch.append(item)
            try:
                ready.append(Delivering(item, destination_for(oncall, target=item.target)))
            except NotFound as missing:
                ready.append(Delivering(item, None, missing.detail))
        return ready


def _throttled_until(
    tx: Tx, item: Claimed, *, batch: list[Claimed], now: datetime
) -> datetime | None:
    """Pages to a person are throttled per contact method and per person (GoAlert's layers)."""
    recipient = item.message.recipient
    if not item.target.startswith(USER) or recipient is None:
        return None
    allowed = now
    method = DEFAULT_THROTTLES.get(ChannelKind(item.channel_kind))
    if method is not None and method.rules:
        sent = tx.notifications.sent_since(since=now - method.window, target=item.target)
        sent += [now for other in batch if other.target == item.target]
        allowed = max(allowed, next_allowed(method, sent_at=sent, now=now))
    sent = tx.notifications.sent_since(since=now - USER_THROTTLE.window, recipient=recipient)
    sent += [now for other in batch if other.message.recipient == recipient]
    allowed = max(allowed, next_allowed(USER_THROTTLE, sent_at=sent, now=now))
    return allowed if allowed > now else None


def settle_deliveries(
    uow: UnitOfWork,
    outcomes: Sequence[tuple[Delivering, Delivery]],
    *,
    oncall: OnCall,
    now: datetime,
    policy: RetryPolicy,
    jitter: Callable[[], float],
) -> None:
    """Record each outcome (sent, retry at, dead + fallback) with its timeline event."""
    ordered = sorted(
        outcomes, key=lambda pair: (pair[0].claimed.incident_id or 0, pair[0].claimed.id)
    )
    with uow.write() as tx:
        # Every outcome is a timeline event: lock the incidents at once, in one query.
        tx.incidents.lock_many([d.claimed.incident_id for d, _ in ordered if d.claimed.incident_id])
        for delivering, delivery in ordered:
            _settle(
                tx, delivering, delivery, oncall=oncall, now=now, policy=policy, jitter=jitter()
            )


def _settle(
    tx: Tx,
    delivering: Delivering,
    delivery: Delivery,
    *,
    oncall: OnCall,
    now: datetime,
    policy: RetryPolicy,
    jitter: float,
) -> None:
    item = delivering.claimed
    verdict = judge(delivery, attempts=item.attempts, now=now, policy=policy, jitter=jitter)
    if verdict.outcome is Outcome.SENT:
        tx.notifications.mark_sent(item.id, now=now, provider_ref=delivery.provider_ref)
        _record(tx, item, "notification.sent", {}, now=now)
    elif verdict.outcome is Outcome.RETRY and verdict.retry_at is not None:
        tx.notifications.mark_retry(item.id, retry_at=verdict.retry_at, error=delivery.reason)
        _record(
            tx,
            item,
            "notification.retrying",
            {
                "reason": delivery.reason,
                "next_attempt_at": verdict.retry_at.isoformat(),
            },
            now=now,
        )
    else:
        tx.notifications.mark_dead(item.id, error=delivery.reason)
        fallback = _fall_back(tx, item, oncall=oncall, now=now)
        _record(
            tx,
            item,
            "notification.failed",
            {
                "reason": delivery.reason,
                "fallback": fallback,
            },
            now=now,
        )


def _fall_back(tx: Tx, item: Claimed, *, oncall: OnCall, now: datetime) -> str | None:
    name = oncall.paging.fallback_channel
    channel = oncall.channel(name) if name else None
    if channel is None or item.target == channel_target(channel.name):
        return None
    message = item.message
    copy = Message(
        message.kind,
        message.incident,
        idempotency_key=f"{message.idempotency_key}:fallback",
        created_at=now,
        recipient=message.recipient,
        step=message.step,
        details={**message.details, "undelivered_to": item.target},
    )
    tx.notifications.queue(
        Outgoing(
            copy,
            channel_target(channel.name),
            channel.kind.value,
            incident_id=item.incident_id,
            not_before=now,
            fallback_for=item.id,
        ),
        now=now,
    )
    return channel.name


def _record(
    tx: Tx, item: Claimed, kind: str, extra: dict[str, str | None], *, now: datetime
) -> None:
    if item.incident_id is None:
        return
    tx.incidents.lock(item.incident_id)
    data = {
        "message": item.message.kind.value,
        "target": item.target,
        "channel": item.channel_kind,
        "recipient": item.message.recipient,
        "step": None if item.message.step is None else item.message.step + 1,
        "attempt": item.attempts,
        **extra,
    }
    append(tx, item.incident_id, entry=Entry(kind, data), actor=ACTOR, at=now)
