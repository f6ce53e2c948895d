"""Many rows past the ORM, however many there are."""

from __future__ import annotations

from fireline.services.container import Container
from fireline.store.bulk_insert import SQLITE_MAX_PARAMETERS
from fireline.store.repos.alert import Firing
from tests.store.test_alert_writes import _firing
from tests.support.fake_clock import FakeClock


def test_more_rows_than_one_sqlite_statement_takes_all_come_back(
    container: Container, clock: FakeClock
) -> None:
    count = SQLITE_MAX_PARAMETERS // 18 + 10  # an alert row has 18 columns
    firing: list[Firing] = [_firing(clock, f"host-{n}") for n in range(count)]
    with container.uow.write() as tx:
        stored = tx.alerts.upsert_firing(firing)
    assert len({one.id for one in stored}) == count
    with container.uow.read() as tx:
        assert tx.alerts.count(status="firing") == count
