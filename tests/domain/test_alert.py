"""An alert's bounds: details past 64 KiB are dropped with a note, never the alert."""

from __future__ import annotations

from datetime import UTC, datetime

from fireline.domain.alerts.alert import MAX_DETAILS_BYTES, AlertAction, make_alert


def _details(details: dict[object, object]) -> dict[str, object]:
    alert = make_alert(
        action=AlertAction.FIRE,
        labels={"alertname": "Q"},
        summary="Q",
        source="test",
        details=details,
    )
    return alert.details


def test_details_within_the_bound_are_kept_whatever_their_types() -> None:
    at = datetime(2026, 12, 5, tzinfo=UTC)
    details: dict[object, object] = {"when": at, 3: "three", "big": 2**70, "text": "x" * 1000}
    assert _details(details) == details


def test_details_past_the_bound_are_replaced_by_a_note() -> None:
    # Counted in UTF-8 bytes: 40,000 two-byte characters are 80,000 bytes.
    assert _details({"text": "é" * 40_000}) == {
        "note": f"details dropped: larger than {MAX_DETAILS_BYTES} bytes"
    }
    assert _details({"text": "e" * 40_000}) == {"text": "e" * 40_000}
