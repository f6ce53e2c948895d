"""Group commit: concurrent intake batches share a transaction, each still whole or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from fireline.domain.alerts.alert import AlertAction, AlertIn, make_alert
from fireline.domain.configuration import Configuration, Integration, IntegrationKind
from fireline.domain.routing.rules import Routing
from fireline.domain.service import make_service
from fireline.services.container import Container
from fireline.services.group_commit import GroupCommit
from fireline.services.ingest import IngestRequest
from tests.support.fake_clock import FakeClock

AM = Integration("prometheus", IntegrationKind.ALERTMANAGER, "am-key-123456")
CONFIG = Configuration(
    services=(make_service(name="monitoring", team="t", tier=1, regions=[]),),
    integrations=(AM,),
    routing=Routing(rules=(), catch_all_service="monitoring"),
)


def _alert(alertname: str, instance: str) -> AlertIn:
    return make_alert(
        action=AlertAction.FIRE,
        labels={"alertname": alertname, "instance": instance, "region": "eu-west-1"},
        summary=f"{alertname} on {instance}",
        source="alertmanager",
    )


def _request(clock: FakeClock, *alerts: AlertIn) -> IngestRequest:
    return IngestRequest(CONFIG, AM, list(alerts), clock.now())


class _Unreadable(list[AlertIn]):
    """A batch that fails while it is applied (as a bug or a bad value would)."""

    def __iter__(self) -> Iterator[AlertIn]:
        raise RuntimeError("this batch cannot be read")


@pytest.fixture
def commits(container: Container) -> Iterator[list[int]]:
    """Count the transactions that commit on the container's database."""
    seen: list[int] = []

    def count(_connection: Any) -> None:
        seen.append(1)

    event.listen(container.uow.engine, "commit", count)
    yield seen
    event.remove(container.uow.engine, "commit", count)


def _firing(container: Container) -> int:
    with container.uow.read() as tx:
        return tx.alerts.count(status="firing")


def test_batches_queued_while_nobody_commits_share_one_transaction(
    container: Container, clock: FakeClock, commits: list[int]
) -> None:
    group = GroupCommit(container.uow)
    first, lead = group.submit(_request(clock, _alert("DiskFull", "a"), _alert("DiskFull", "b")))
    second, second_leads = group.submit(_request(clock, _alert("DiskFull", "a")))  # a repeat
    third, third_leads = group.submit(_request(clock, _alert("QueueSlow", "c")))
    assert (lead, second_leads, third_leads) == (True, False, False)
    assert not first.done()

    group.drain()

    assert len(commits) == 1
    results = [first.result(), second.result(), third.result()]
    assert [(r.accepted, r.new, r.repeats) for r in results] == [(2, 2, 0), (1, 0, 1), (1, 1, 0)]
    assert len(results[2].opened) == 1
    assert results[2].opened != results[0].opened
    assert _firing(container) == 3


def test_a_group_is_capped_at_max_alerts(
    container: Container, clock: FakeClock, commits: list[int]
) -> None:
    group = GroupCommit(container.uow, max_alerts=2)
    futures = [group.submit(_request(clock, _alert("DiskFull", str(i))))[0] for i in range(3)]
    group.drain()
    assert len(commits) == 2
    assert [f.result().new for f in futures] == [1, 1, 1]


def test_a_failing_batch_fails_alone_and_its_neighbours_commit(
    container: Container, clock: FakeClock
) -> None:
    group = GroupCommit(container.uow)
    good, _ = group.submit(_request(clock, _alert("DiskFull", "a")))
    bad, _ = group.submit(
        IngestRequest(CONFIG, AM, _Unreadable([_alert("DiskFull", "b")]), clock.now())
    )
    other, _ = group.submit(_request(clock, _alert("DiskFull", "c")))
    group.drain()
    assert (good.result().new, other.result().new) == (1, 1)
    with pytest.raises(RuntimeError, match="cannot be read"):
        bad.result()
    assert _firing(container) == 2


def test_a_batch_withdrawn_before_its_transaction_is_not_stored(
    container: Container, clock: FakeClock
) -> None:
    group = GroupCommit(container.uow)
    kept, _ = group.submit(_request(clock, _alert("DiskFull", "a")))
    withdrawn, _ = group.submit(_request(clock, _alert("DiskFull", "b")))
    assert withdrawn.cancel()
    group.drain()
    assert kept.result().new == 1
    assert _firing(container) == 1


def test_after_a_drain_the_next_sender_leads_again(container: Container, clock: FakeClock) -> None:
    group = GroupCommit(container.uow)
    for instance in ("a", "b"):
        result, lead = group.submit(_request(clock, _alert("DiskFull", instance)))
        assert lead
        group.drain()
        assert result.result().new == 1


def test_with_two_transactions_two_senders_lead_and_the_third_waits(
    container: Container, clock: FakeClock, commits: list[int]
) -> None:
    group = GroupCommit(container.uow, transactions=2)
    leads = [group.submit(_request(clock, _alert("DiskFull", str(i)))) for i in range(3)]
    assert [lead for _, lead in leads] == [True, True, False]
    group.drain()  # the first leader takes everything queued; the second finds nothing
    group.drain()
    assert len(commits) == 1
    assert [future.result().new for future, _ in leads] == [1, 1, 1]
    assert group.submit(_request(clock, _alert("DiskFull", "x")))[1]
