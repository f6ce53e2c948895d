"""UTC instants on SQLite: written as SQLAlchemy's own processor writes them, only faster."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from fireline.store.types import UTCDateTime, sqlite_utc_text

SQLITE = sqlite.dialect()
# SQLAlchemy's own SQLite DATETIME processor, which a UTCDateTime's naive UTC value went through.
SQLALCHEMY_WRITES = sqlite.DATETIME().bind_processor(SQLITE)


@given(st.datetimes(timezones=st.timezones()))
def test_an_instant_is_written_for_sqlite_as_sqlalchemy_writes_it(at: datetime) -> None:
    assert SQLALCHEMY_WRITES is not None
    assert UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE) is sqlite_utc_text
    assert sqlite_utc_text(at) == SQLALCHEMY_WRITES(at.astimezone(UTC).replace(tzinfo=None))


def test_no_instant_is_null_and_a_naive_one_is_refused() -> None:
    assert sqlite_utc_text(None) is None
    assert sqlite_utc_text(datetime(2026, 12, 5, tzinfo=UTC)) == "2026-12-05 00:00:00.000000"
    # The text is remembered by instant; the same wall time without a zone is still refused.
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc_text(datetime(2026, 12, 5))  # noqa: DTZ001 - the point of the test


def test_the_same_instant_in_another_zone_is_written_in_utc() -> None:
    utc = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    tokyo = utc.astimezone(ZoneInfo("Asia/Tokyo"))
    assert sqlite_utc_text(utc) == sqlite_utc_text(tokyo) == "2026-12-05 10:00:00.000000"
    assert sqlite_utc_text(tokyo.replace(tzinfo=UTC)) == "2026-12-05 19:00:00.000000"
