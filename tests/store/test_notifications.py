"""The outbox: one row per idempotency key, claims that never overlap, leases that expire."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from fireline.domain.incidents.severity import Severity
from fireline.domain.notify.message import IncidentBrief, Message, MessageKind
from fireline.services.container import Container
from fireline.store.repos.notification import Outgoing
from tests.support.statements import rows_of

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
BRIEF = IncidentBrief(
    ref="INC-1",
    title="Queue saturated",
    severity=Severity.SEV2,
    status="triggered",
    service="job-queue",
    regions=("eu-west-1",),
    opened_at=NOW,
)


def _outgoing(key: str, *, not_before: datetime = NOW, target: str = "channel:pd") -> Outgoing:
    message = Message(MessageKind.TRIGGER, BRIEF, idempotency_key=key, created_at=NOW)
    return Outgoing(message, target, "pagerduty", incident_id=None, not_before=not_before)


def test_same_idempotency_key_is_enqueued_once(container: Container) -> None:
    with container.uow.write() as tx:
        assert tx.notifications.add(_outgoing("k1"), now=NOW)
        assert not tx.notifications.add(_outgoing("k1"), now=NOW)
    with container.uow.read() as tx:
        assert tx.notifications.count_by_status() == {"pending": 1}


def test_claim_takes_only_due_messages_and_round_trips_the_message(container: Container) -> None:
    with container.uow.write() as tx:
        tx.notifications.add(_outgoing("due"), now=NOW)
        tx.notifications.add(_outgoing("later", not_before=NOW + timedelta(minutes=5)), now=NOW)
    with container.uow.write() as tx:
        claimed = tx.notifications.claim(now=NOW, lease_until=NOW + timedelta(minutes=1), limit=10)
    assert [c.message.idempotency_key for c in claimed] == ["due"]
    assert claimed[0].attempts == 1
    assert claimed[0].message.incident == BRIEF
    with container.uow.write() as tx:
        again = tx.notifications.claim(now=NOW, lease_until=NOW + timedelta(minutes=1), limit=10)
    assert again == []


def test_expired_lease_is_claimed_again(container: Container) -> None:
    with container.uow.write() as tx:
        tx.notifications.add(_outgoing("k"), now=NOW)
    with container.uow.write() as tx:
        tx.notifications.claim(now=NOW, lease_until=NOW + timedelta(seconds=30), limit=1)
    later = NOW + timedelta(seconds=31)
    with container.uow.write() as tx:
        claimed = tx.notifications.claim(now=later, lease_until=later, limit=1)
    assert [c.attempts for c in claimed] == [2]


def test_retry_dead_sent_and_defer_change_what_is_due(container: Container) -> None:
    with container.uow.write() as tx:
        for key in ("sent", "retry", "dead", "defer"):
            tx.notifications.add(_outgoing(key), now=NOW)
    with container.uow.write() as tx:
        claimed = {
            c.message.idempotency_key: c.id
            for c in tx.notifications.claim(now=NOW, lease_until=NOW, limit=10)
        }
        tx.notifications.mark_sent(claimed["sent"], now=NOW, provider_ref="ref")
        tx.notifications.mark_retry(
            claimed["retry"], retry_at=NOW + timedelta(seconds=10), error="e"
        )
        tx.notifications.mark_dead(claimed["dead"], error="gone")
        tx.notifications.defer(claimed["defer"], until=NOW + timedelta(seconds=20))
    with container.uow.write() as tx:
        at_15 = NOW + timedelta(seconds=15)
        assert [
            c.message.idempotency_key
            for c in tx.notifications.claim(
                now=at_15, lease_until=NOW + timedelta(hours=1), limit=10
            )
        ] == ["retry"]
    with container.uow.write() as tx:
        at_25 = NOW + timedelta(seconds=25)
        deferred = tx.notifications.claim(now=at_25, lease_until=at_25, limit=10)
    assert [(c.message.idempotency_key, c.attempts) for c in deferred] == [("defer", 1)]


def test_concurrent_claims_never_share_a_message(container: Container) -> None:
    with container.uow.write() as tx:
        for index in range(200):
            tx.notifications.add(_outgoing(f"k{index}"), now=NOW)
    taken: list[list[str]] = [[], [], [], []]
    start = threading.Barrier(len(taken))

    def claim_all(bucket: list[str]) -> None:
        start.wait()
        while True:
            with container.uow.write() as tx:
                claimed = tx.notifications.claim(
                    now=NOW, lease_until=NOW + timedelta(hours=1), limit=7
                )
            if not claimed:
                return
            bucket.extend(c.message.idempotency_key for c in claimed)

    threads = [threading.Thread(target=claim_all, args=(bucket,)) for bucket in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [key for bucket in taken for key in bucket]
    assert sorted(everything) == sorted(f"k{index}" for index in range(200))


def test_queued_messages_are_one_insert_and_reads_in_the_transaction_see_them(
    container: Container,
) -> None:
    inserts: list[int] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *more: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO NOTIFICATIONS"):
            inserts.append(rows_of(params, executemany=more[-1]))

    event.listen(container.uow.engine, "before_cursor_execute", record)
    try:
        with container.uow.write() as tx:
            for key in ("a", "b", "a", "c"):  # "a" twice: still one row
                tx.notifications.queue(_outgoing(key), now=NOW)
            assert inserts == []
        assert inserts == [4]
        with container.uow.write() as tx:
            tx.notifications.queue(_outgoing("d"), now=NOW)
            assert tx.notifications.count_by_status() == {"pending": 4}  # written first
            assert tx.notifications.add(_outgoing("e"), now=NOW)
            assert not tx.notifications.add(_outgoing("d"), now=NOW)  # the queued one counts
    finally:
        event.remove(container.uow.engine, "before_cursor_execute", record)
    with container.uow.read() as tx:
        assert tx.notifications.count_by_status() == {"pending": 5}
