"""Reading RFC 3339 / ISO 8601 instants, and defaulting the times a sender left out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fireline.domain.alerts.alert import AlertAction
from fireline.integrations.timestamp import ZERO_TIME, fill_times, parse_timestamp

RECEIVED_AT = datetime(2026, 12, 4, 20, 19, tzinfo=UTC)
EARLIER = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-04T18:18:51Z", datetime(2026, 12, 4, 18, 18, 51, tzinfo=UTC)),
        ("2026-12-04T20:18:58.5Z", datetime(2026, 12, 4, 20, 18, 58, 500000, tzinfo=UTC)),
        ("2026-12-04T20:18:51.494Z", datetime(2026, 12, 4, 20, 18, 51, 494000, tzinfo=UTC)),
        ("2026-12-04T20:18:51.494123Z", datetime(2026, 12, 4, 20, 18, 51, 494123, tzinfo=UTC)),
        ("2026-12-04T20:18:51.4941237Z", datetime(2026, 12, 4, 20, 18, 51, 494123, tzinfo=UTC)),
        ("2026-12-04T20:18:51.494123999Z", datetime(2026, 12, 4, 20, 18, 51, 494123, tzinfo=UTC)),
        ("2015-07-17T08:42:58.315+0000", datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)),
        ("2015-07-17T08:42:58+00:00", datetime(2015, 7, 17, 8, 42, 58, tzinfo=UTC)),
        ("2026-12-04T21:18:51+01:00", datetime(2026, 12, 4, 20, 18, 51, tzinfo=UTC)),
        ("2026-12-04T14:48:51-0530", datetime(2026, 12, 4, 20, 18, 51, tzinfo=UTC)),
        ("2026-12-04t20:18:51z", datetime(2026, 12, 4, 20, 18, 51, tzinfo=UTC)),
        ("2026-12-04 20:18:51Z", datetime(2026, 12, 4, 20, 18, 51, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", ZERO_TIME),
    ],
)
def test_rfc3339_and_iso8601_forms_read_as_utc(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_nanoseconds_are_truncated_not_rounded() -> None:
    assert parse_timestamp("2026-12-04T20:18:51.999999999Z").microsecond == 999999


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2026-12-04",
        "2026-12-04T20:18:51",
        "2026-12-04T20:18:51.494",
        "2026-12-04T20:18:51.1234567890Z",
        "2026-12-04T20:18Z",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-12-04T24:00:00Z",
        "2026-12-04T20:18:51+25:00",
        "0001-01-01T00:00:00+01:00",
        "2026-12-04T20:18:51Z ",
        "2026-12-04T20:18:51Z\n",
        "\u0662\u0660\u0662\u0666-12-04T20:18:51Z",
    ],
)
def test_anything_else_is_a_value_error(text: str) -> None:
    for _ in range(2):  # parsed instants are remembered, refusals are not
        with pytest.raises(ValueError, match="date-time"):
            parse_timestamp(text)


def test_a_firing_alert_without_a_start_started_at_receipt() -> None:
    assert fill_times(AlertAction.FIRE, starts_at=None, ends_at=None, received_at=RECEIVED_AT) == (
        RECEIVED_AT,
        None,
    )


def test_a_resolution_without_an_end_ended_at_receipt() -> None:
    assert fill_times(
        AlertAction.RESOLVE, starts_at=None, ends_at=None, received_at=RECEIVED_AT
    ) == (None, RECEIVED_AT)


def test_times_the_sender_gave_are_kept() -> None:
    assert fill_times(
        AlertAction.RESOLVE, starts_at=EARLIER, ends_at=EARLIER, received_at=RECEIVED_AT
    ) == (EARLIER, EARLIER)


def test_an_acknowledgement_gets_no_default_times() -> None:
    assert fill_times(
        AlertAction.ACKNOWLEDGE, starts_at=None, ends_at=None, received_at=RECEIVED_AT
    ) == (None, None)
