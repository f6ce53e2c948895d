"""PagerDuty Events v2 intake, against bodies Alertmanager 0.25 sent to /v2/enqueue (payloads/)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fireline.domain.alerts.alert import MAX_LABELS, AlertAction, AlertIn
from fireline.domain.errors import FieldError, Invalid
from fireline.integrations.pagerduty.intake import (
    accepted_body,
    error_strings,
    invalid_body,
    parse,
    routing_key,
)

PAYLOADS = Path(__file__).parent / "payloads"
RECEIVED_AT = datetime(2026, 12, 4, 20, 19, tzinfo=UTC)
KEY = "0123456789abcdef0123456789abcdef"
QUEUE_KEY = "b5451fd5d813ef96fc033c201995f2e3e014c104c287b1e2b15fe1b89aa15c9f"
RUNBOOK = "https://runbooks.doc-platform.example/queue-saturation"


def _load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def _one(payload: Any) -> AlertIn:
    (alert,) = parse(payload, received_at=RECEIVED_AT)
    return alert


def _invalid(payload: Any) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse(payload, received_at=RECEIVED_AT)
    return caught.value


def _trigger(**payload: Any) -> dict[str, Any]:
    event = {"summary": "Disk 95% full on db01", "source": "db01", "severity": "warning"}
    return {"routing_key": KEY, "event_action": "trigger", "payload": event | payload}


@pytest.mark.parametrize("name", sorted(path.name for path in PAYLOADS.glob("*.json")))
def test_every_captured_event_becomes_one_alert(name: str) -> None:
    body = _load(name)
    alert = _one(body)
    action = {"trigger": AlertAction.FIRE, "resolve": AlertAction.RESOLVE}[body["event_action"]]
    assert alert.action is action
    assert alert.dedup_key == body["dedup_key"]
    assert alert.summary == body["payload"]["summary"]
    assert alert.severity == "error"
    assert alert.source == "pagerduty"
    assert alert.labels["source"] == "Alertmanager"


def test_trigger_becomes_a_fire_with_labels_from_payload_and_custom_details() -> None:
    body = _load("pagerduty-trigger-queue-saturated.json")
    assert _one(body) == AlertIn(
        action=AlertAction.FIRE,
        labels={
            "source": "Alertmanager",
            "severity": "error",
            "num_firing": "1",
            "num_resolved": "0",
            "region": "eu-west",
            "runbook_url": RUNBOOK,
            "service": "queue",
        },
        summary="[FIRING:1] QueueSaturated eu-west (queue critical)",
        source="pagerduty",
        dedup_key=QUEUE_KEY,
        severity="error",
        starts_at=RECEIVED_AT,
        details={
            "custom_details": body["payload"]["custom_details"],
            "links": [{"href": RUNBOOK, "text": "Runbook"}],
            "client": "Alertmanager",
            "client_url": "http://127.0.0.1:41685/#/alerts?receiver=fireline%5C.pagerduty",
        },
    )


def test_multi_line_and_empty_custom_details_are_not_labels() -> None:
    body = _load("pagerduty-trigger-extraction-error-rate-high-2-alerts.json")
    alert = _one(body)
    assert "\n" in body["payload"]["custom_details"]["firing"]
    assert "firing" not in alert.labels
    assert "resolved" not in alert.labels
    assert alert.labels["job_ids"] == "job-7f3c9a2e,job-0b41d8c5"


def test_alert_without_region_gets_no_region_label_from_an_empty_detail() -> None:
    body = _load("pagerduty-trigger-token-expiring-soon.json")
    assert body["payload"]["custom_details"]["region"] == ""
    assert "region" not in _one(body).labels


def test_resolve_keeps_its_full_payload_and_ends_at_receipt() -> None:
    alert = _one(_load("pagerduty-resolve-queue-saturated.json"))
    assert alert.action is AlertAction.RESOLVE
    assert alert.dedup_key == QUEUE_KEY
    assert alert.summary == "[RESOLVED] QueueSaturated eu-west (queue critical)"
    assert (alert.starts_at, alert.ends_at) == (None, RECEIVED_AT)
    assert alert.labels["num_resolved"] == "1"
    assert alert.details["links"] == [{"href": RUNBOOK, "text": "Runbook"}]


def test_acknowledge_needs_only_a_dedup_key() -> None:
    body = {"routing_key": KEY, "event_action": "acknowledge", "dedup_key": "db01/disk"}
    assert _one(body) == AlertIn(
        action=AlertAction.ACKNOWLEDGE,
        labels={},
        summary="",
        source="pagerduty",
        dedup_key="db01/disk",
    )


def test_resolve_without_payload_is_accepted() -> None:
    alert = _one({"routing_key": KEY, "event_action": "resolve", "dedup_key": "db01/disk"})
    assert (alert.action, alert.summary, alert.labels) == (AlertAction.RESOLVE, "", {})


@pytest.mark.parametrize("dedup_key", [None, "", "  "])
def test_trigger_without_dedup_key_gets_a_fresh_hex_key(dedup_key: str | None) -> None:
    first = _one(_trigger() | {"dedup_key": dedup_key})
    second = _one(_trigger() | {"dedup_key": dedup_key})
    assert first.dedup_key is not None
    assert re.fullmatch(r"[0-9a-f]{32}", first.dedup_key)
    assert first.dedup_key != second.dedup_key


def test_timestamp_in_plus_0000_form_is_the_start_of_a_trigger() -> None:
    alert = _one(_trigger(timestamp="2015-07-17T08:42:58.315+0000"))
    assert alert.starts_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)


def test_timestamp_of_a_resolve_is_its_end() -> None:
    body = _trigger(timestamp="2026-12-04T21:10:00+01:00") | {
        "event_action": "resolve",
        "dedup_key": "db01/disk",
    }
    alert = _one(body)
    assert (alert.starts_at, alert.ends_at) == (None, datetime(2026, 12, 4, 20, 10, tzinfo=UTC))


def test_payload_fields_become_lower_case_labels() -> None:
    alert = _one(_trigger(component="mysql", group="prod-datapipe", **{"class": "disk"}))
    assert alert.labels == {
        "source": "db01",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "severity": "warning",
    }


def test_payload_fields_win_over_custom_details_of_the_same_name() -> None:
    details = {"severity": "critical", "source": "other", "team": "db"}
    alert = _one(_trigger(custom_details=details))
    assert alert.labels["severity"] == "warning"
    assert alert.labels["source"] == "db01"
    assert alert.labels["team"] == "db"


def test_custom_details_that_do_not_fit_a_label_are_only_details() -> None:
    details = {"bad-name": "x", "count": 3, "nested": {"a": "b"}, "long": "x" * 1025, "ok": "y"}
    alert = _one(_trigger(custom_details=details))
    assert set(alert.labels) == {"source", "severity", "ok"}
    assert alert.details["custom_details"] == details


def test_custom_details_that_are_not_an_object_are_kept_as_details() -> None:
    alert = _one(_trigger(custom_details="free text"))
    assert alert.details == {"custom_details": "free text"}
    assert set(alert.labels) == {"source", "severity"}


def test_custom_detail_labels_stop_at_the_label_limit() -> None:
    details = {f"k{n:03}": "v" for n in range(100)}
    alert = _one(_trigger(custom_details=details))
    assert len(alert.labels) == MAX_LABELS


def test_details_hold_only_what_was_sent() -> None:
    body = _trigger() | {
        "images": [{"src": "https://img.example/a.png", "alt": "graph", "extra": 1}],
        "client": "Nagios",
    }
    assert _one(body).details == {
        "images": [{"src": "https://img.example/a.png", "alt": "graph"}],
        "client": "Nagios",
    }


def test_routing_key_is_read_without_the_rest_of_the_event() -> None:
    assert routing_key({"routing_key": KEY, "event_action": "nonsense"}) == KEY


@pytest.mark.parametrize("body", [{}, {"routing_key": ""}, {"routing_key": 123}])
def test_a_missing_or_non_string_routing_key_is_invalid(body: dict[str, Any]) -> None:
    with pytest.raises(Invalid) as caught:
        routing_key(body)
    assert [error.field for error in caught.value.errors] == ["routing_key"]


@pytest.mark.parametrize("payload", [None, [], "event"])
def test_a_body_that_is_not_an_object_is_invalid(payload: object) -> None:
    with pytest.raises(Invalid) as caught:
        routing_key(payload)
    assert [error.field for error in caught.value.errors] == ["body"]
    assert [error.field for error in _invalid(payload).errors] == ["body"]


def test_missing_trigger_fields_read_like_pagerduty() -> None:
    invalid = _invalid({"routing_key": KEY, "event_action": "trigger", "payload": {}})
    assert error_strings(invalid) == [
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is missing or blank",
    ]


@pytest.mark.parametrize("severity", ["Critical", "high", "page", 3])
def test_severity_must_be_one_of_pagerdutys_four_exactly(severity: object) -> None:
    assert error_strings(_invalid(_trigger(severity=severity))) == [
        "'payload.severity' is invalid (must be one of the following: "
        "'critical', 'warning', 'error' or 'info')"
    ]


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_a_dedup_key(action: str) -> None:
    invalid = _invalid({"routing_key": KEY, "event_action": action})
    assert error_strings(invalid) == ["'dedup_key' is missing or blank"]


@pytest.mark.parametrize("action", [None, "", "escalate", "TRIGGER", 1])
def test_event_action_must_be_trigger_acknowledge_or_resolve(action: object) -> None:
    invalid = _invalid({"routing_key": KEY, "event_action": action, "dedup_key": "k"})
    assert [error.field for error in invalid.errors] == ["event_action"]


def test_trigger_without_payload_is_invalid() -> None:
    invalid = _invalid({"routing_key": KEY, "event_action": "trigger"})
    assert error_strings(invalid) == ["'payload' is missing or blank"]


def test_every_bad_field_is_listed_with_its_path() -> None:
    body = _trigger(
        summary="x" * 1025,
        source=["db01"],
        component=5,
        timestamp="17/07/2015",
    ) | {
        "routing_key": None,
        "dedup_key": "k" * 256,
        "links": [{"text": "no href"}, "x"],
        "images": {"src": "https://img.example/a.png"},
        "client": 1,
        "client_url": {},
    }
    assert [error.field for error in _invalid(body).errors] == [
        "routing_key",
        "dedup_key",
        "payload.summary",
        "payload.source",
        "payload.component",
        "payload.timestamp",
        "links[0].href",
        "links[1]",
        "images",
        "client",
        "client_url",
    ]


def test_a_payload_that_is_not_an_object_is_invalid_even_on_resolve() -> None:
    body = {"routing_key": KEY, "event_action": "resolve", "dedup_key": "k", "payload": "x"}
    assert error_strings(_invalid(body)) == ["'payload' is invalid (must be an object)"]


def test_plain_messages_are_worded_as_invalid_with_the_reason() -> None:
    invalid = Invalid(
        [
            FieldError("dedup_key", "must be at most 255 characters"),
            FieldError("payload.timestamp", "is invalid (must be a date)"),
        ]
    )
    assert error_strings(invalid) == [
        "'dedup_key' is invalid (must be at most 255 characters)",
        "'payload.timestamp' is invalid (must be a date)",
    ]


def test_accepted_body_is_pagerdutys_202_reply() -> None:
    assert accepted_body("db01/disk") == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "db01/disk",
    }


def test_invalid_body_is_pagerdutys_400_reply() -> None:
    errors = ["'payload.summary' is missing or blank"]
    assert invalid_body(errors) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": errors,
    }
