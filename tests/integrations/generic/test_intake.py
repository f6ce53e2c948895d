"""Fireline's own alert JSON: one alert or a batch, strict about unknown fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fireline.domain.alerts.alert import AlertAction, AlertIn
from fireline.domain.errors import FieldError, Invalid
from fireline.integrations.generic.intake import MAX_BATCH, parse

PAYLOADS = Path(__file__).parent / "payloads"
RECEIVED_AT = datetime(2026, 12, 4, 20, 19, tzinfo=UTC)
QUEUE = {"summary": "Queue saturated", "labels": {"service": "queue"}}


def _load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def _invalid(payload: Any) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse(payload, received_at=RECEIVED_AT)
    return caught.value


def _fields(payload: Any) -> list[str]:
    return [error.field for error in _invalid(payload).errors]


def test_a_single_alert_with_every_field_is_read_as_sent() -> None:
    (alert,) = parse(_load("single.json"), received_at=RECEIVED_AT)
    assert alert == AlertIn(
        action=AlertAction.FIRE,
        labels={
            "alertname": "ExtractionErrorRateHigh",
            "service": "extraction",
            "region": "eu-west",
        },
        summary="Extraction workers in eu-west fail 18% of jobs",
        source="cron-check",
        dedup_key="extraction/eu-west/error-rate",
        annotations={"runbook_url": "https://runbooks.doc-platform.example/extraction-errors"},
        severity="critical",
        starts_at=datetime(2026, 12, 4, 20, 18, 51, 494123, tzinfo=UTC),
        ends_at=None,
        generator_url="https://grafana.doc-platform.example/d/extraction",
        details={"job_ids": ["job-7f3c9a2e", "job-0b41d8c5"], "failed_ratio": 0.18},
    )


def test_a_batch_is_read_in_order_with_defaults_filled() -> None:
    queue, uploads = parse(_load("batch.json"), received_at=RECEIVED_AT)
    assert queue.action is AlertAction.FIRE
    assert queue.summary == "QueueSaturated"
    assert queue.source == "api"
    assert queue.dedup_key is None
    assert queue.starts_at == datetime(2026, 12, 4, 19, 12, 51, tzinfo=UTC)
    assert uploads.action is AlertAction.RESOLVE
    assert uploads.dedup_key == "uploads/us-east"
    assert uploads.ends_at == datetime(2026, 12, 4, 20, 18, 58, 500000, tzinfo=UTC)


def test_a_minimal_alert_fires_now_from_the_api() -> None:
    (alert,) = parse({"summary": "Disk full"}, received_at=RECEIVED_AT)
    assert alert == AlertIn(
        action=AlertAction.FIRE,
        labels={},
        summary="Disk full",
        source="api",
        starts_at=RECEIVED_AT,
    )


def test_a_resolution_without_an_end_ended_at_receipt_and_needs_no_summary() -> None:
    (alert,) = parse({"status": "resolved", "dedup_key": "disk/db01"}, received_at=RECEIVED_AT)
    assert (alert.action, alert.summary, alert.ends_at) == (AlertAction.RESOLVE, "", RECEIVED_AT)


def test_null_optional_fields_count_as_absent() -> None:
    body = {"summary": "Disk full", "status": None, "labels": None, "source": None, "details": None}
    (alert,) = parse(body, received_at=RECEIVED_AT)
    assert (alert.action, alert.source, alert.details) == (AlertAction.FIRE, "api", {})


def test_a_firing_alert_needs_a_summary_or_an_alertname() -> None:
    assert parse({"labels": {"alertname": "DiskFull"}}, received_at=RECEIVED_AT)[0].summary == (
        "DiskFull"
    )
    assert _invalid({"labels": {"service": "db"}}).errors == (
        FieldError("summary", "is missing (and there is no labels.alertname)"),
    )
    assert _fields({"summary": "   "}) == ["summary"]


def test_unknown_fields_are_refused_by_name() -> None:
    assert _fields({"summary": "x", "sevirity": "high", "endsAt": "x"}) == ["sevirity", "endsAt"]


def test_unknown_batch_fields_are_refused_by_name() -> None:
    body = {"version": "1", "alerts": [QUEUE | {"colour": "red"}]}
    assert _fields(body) == ["version", "alerts[0].colour"]


def test_batch_errors_carry_the_alert_index() -> None:
    alerts = [QUEUE] * 10
    alerts[7] = {"summary": "x", "labels": {"region": 5}}
    assert _invalid({"alerts": alerts}).errors == (
        FieldError("alerts[7].labels.region", "must be a string"),
    )


def test_a_lone_alert_has_no_index_in_its_paths() -> None:
    assert _fields({"summary": "x", "labels": {"region": 5}}) == ["labels.region"]


def test_a_batch_of_the_maximum_size_is_accepted() -> None:
    assert len(parse({"alerts": [QUEUE] * MAX_BATCH}, received_at=RECEIVED_AT)) == MAX_BATCH


@pytest.mark.parametrize("size", [0, MAX_BATCH + 1])
def test_a_batch_must_hold_1_to_1000_alerts(size: int) -> None:
    assert _invalid({"alerts": [QUEUE] * size}).errors == (
        FieldError("alerts", f"must hold 1 to 1000 alerts, not {size}"),
    )


@pytest.mark.parametrize("alerts", [None, {"0": QUEUE}, "x"])
def test_alerts_must_be_an_array(alerts: object) -> None:
    assert _fields({"alerts": alerts}) == ["alerts"]


def test_batch_items_must_be_objects() -> None:
    assert _fields({"alerts": [QUEUE, "x", None, [QUEUE]]}) == [
        "alerts[1]",
        "alerts[2]",
        "alerts[3]",
    ]


@pytest.mark.parametrize("payload", [None, [QUEUE], "alert", 1])
def test_a_body_that_is_not_an_object_is_refused(payload: object) -> None:
    assert _fields(payload) == ["body"]


def test_every_bad_field_is_listed_with_its_path() -> None:
    bad = {
        "status": "open",
        "labels": {"bad-name": "x", "ok": 1},
        "summary": 5,
        "annotations": [],
        "severity": 3,
        "dedup_key": "",
        "starts_at": "yesterday",
        "ends_at": "2026-12-04T20:00:00",
        "generator_url": 1,
        "source": "",
        "details": [],
    }
    assert _fields({"alerts": [QUEUE, bad]}) == [
        "alerts[1].status",
        "alerts[1].labels.bad-name",
        "alerts[1].labels.ok",
        "alerts[1].summary",
        "alerts[1].annotations",
        "alerts[1].severity",
        "alerts[1].dedup_key",
        "alerts[1].starts_at",
        "alerts[1].ends_at",
        "alerts[1].generator_url",
        "alerts[1].source",
        "alerts[1].details",
    ]


def test_limits_on_dedup_key_source_and_labels_are_enforced() -> None:
    too_many = {f"l{n}": "v" for n in range(65)}
    body = {
        "alerts": [
            QUEUE | {"dedup_key": "k" * 256},
            QUEUE | {"source": "s" * 256},
            QUEUE | {"labels": too_many},
            QUEUE | {"annotations": {"description": "d" * 16_385}},
        ]
    }
    assert _fields(body) == [
        "alerts[0].dedup_key",
        "alerts[1].source",
        "alerts[2].labels",
        "alerts[3].annotations.description",
    ]


def test_an_overlong_summary_is_shortened_not_refused() -> None:
    (alert,) = parse({"summary": "s" * 2000}, received_at=RECEIVED_AT)
    assert len(alert.summary) == 1024
    assert alert.summary.endswith("…")
