"""Many rows past the ORM: stored exactly as SQLAlchemy stores them, however many there are."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from fireline.services.container import Container
from fireline.store.bulk_insert import SQLITE_MAX_PARAMETERS, sqlite_utc_text
from fireline.store.repos.alert import Firing
from fireline.store.types import UTCDateTime
from tests.store.test_alert_writes import _firing
from tests.support.fake_clock import FakeClock

SQLITE = sqlite.dialect()
ORM_WRITES = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)


@given(st.datetimes(timezones=st.timezones()))
def test_an_instant_is_written_for_sqlite_as_sqlalchemy_writes_it(at: datetime) -> None:
    assert ORM_WRITES is not None
    assert sqlite_utc_text(at) == ORM_WRITES(at)


def test_no_instant_is_null_and_a_naive_one_is_refused() -> None:
    assert sqlite_utc_text(None) is None
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc_text(datetime(2026, 12, 5))  # noqa: DTZ001 - the point of the test
    assert sqlite_utc_text(datetime(2026, 12, 5, tzinfo=UTC)) == "2026-12-05 00:00:00.000000"


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
