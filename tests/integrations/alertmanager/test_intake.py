"""Alertmanager webhook intake, against bodies captured from Alertmanager 0.25 (see payloads/)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fireline.domain.alerts.alert import AlertAction, AlertIn, label_fingerprint
from fireline.domain.errors import FieldError, Invalid
from fireline.integrations.alertmanager.intake import parse

PAYLOADS = Path(__file__).parent / "payloads"
RECEIVED_AT = datetime(2026, 12, 4, 20, 19, tzinfo=UTC)
GENERATOR_URL = (
    "http://prometheus.doc-platform.example:9090/graph?g0.expr=rate%28extraction_jobs_failed_total"
    "%7Bregion%3D%22eu-west%22%7D%5B10m%5D%29%20%2F%20rate%28extraction_jobs_total%7Bregion%3D%22"
    "eu-west%22%7D%5B10m%5D%29%20%3E%200.1&g0.tab=1"
)
EXTRACTION_GROUP = '{}/{}:{alertname="ExtractionErrorRateHigh", region="eu-west"}'


def _load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def _fields(payload: Any) -> list[str]:
    with pytest.raises(Invalid) as caught:
        parse(payload, received_at=RECEIVED_AT)
    return [error.field for error in caught.value.errors]


def _body(*alerts: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    return {"version": "4", "groupKey": "{}:{}", "alerts": list(alerts), **envelope}


def _alert(**fields: Any) -> dict[str, Any]:
    return {"status": "firing", "labels": {"alertname": "QueueSaturated"}, **fields}


@pytest.mark.parametrize("name", sorted(path.name for path in PAYLOADS.glob("*.json")))
def test_every_captured_webhook_parses_alert_for_alert(name: str) -> None:
    body = _load(name)
    alerts = parse(body, received_at=RECEIVED_AT)
    assert [alert.dedup_key for alert in alerts] == [a["fingerprint"] for a in body["alerts"]]
    assert [alert.action for alert in alerts] == [
        AlertAction.FIRE if a["status"] == "firing" else AlertAction.RESOLVE for a in body["alerts"]
    ]
    assert all(alert.source == "alertmanager" for alert in alerts)
    assert all(alert.details["group_key"] == body["groupKey"] for alert in alerts)


def test_firing_alert_becomes_a_fire_with_everything_alertmanager_sent() -> None:
    body = _load("webhook-firing-extraction-error-rate-high-2-alerts.json")
    first = parse(body, received_at=RECEIVED_AT)[0]
    assert first == AlertIn(
        action=AlertAction.FIRE,
        labels={
            "alertname": "ExtractionErrorRateHigh",
            "instance": "extraction-worker-1:9102",
            "job_id": "job-7f3c9a2e",
            "region": "eu-west",
            "service": "extraction",
            "severity": "critical",
        },
        summary="Extraction error rate above 10% in eu-west",
        source="alertmanager",
        dedup_key="e7a520310b136af7",
        annotations={
            "description": "extraction-worker-1 failed 18% of jobs in the last 10 minutes; "
            "last failed job job-7f3c9a2e.",
            "runbook_url": "https://runbooks.doc-platform.example/extraction-errors",
            "summary": "Extraction error rate above 10% in eu-west",
        },
        severity="critical",
        starts_at=datetime(2026, 12, 4, 20, 18, 51, 494000, tzinfo=UTC),
        ends_at=None,
        generator_url=GENERATOR_URL,
        details={
            "group_key": EXTRACTION_GROUP,
            "receiver": "fireline.webhook",
            "external_url": "http://127.0.0.1:41685",
            "truncated_alerts": 0,
            "fingerprint": "e7a520310b136af7",
        },
    )


def test_two_alerts_of_one_group_become_two_alerts_with_their_own_keys() -> None:
    body = _load("webhook-firing-extraction-error-rate-high-2-alerts.json")
    alerts = parse(body, received_at=RECEIVED_AT)
    assert [alert.dedup_key for alert in alerts] == ["e7a520310b136af7", "c45fb355b04819c9"]
    assert [alert.labels["instance"] for alert in alerts] == [
        "extraction-worker-1:9102",
        "extraction-worker-2:9102",
    ]
    assert alerts[0].details["group_key"] == alerts[1].details["group_key"] == EXTRACTION_GROUP


def test_one_firing_one_resolved_keeps_each_alerts_own_status() -> None:
    body = _load("webhook-firing-extraction-error-rate-high-1-firing-1-resolved.json")
    firing, resolved = parse(body, received_at=RECEIVED_AT)
    assert (firing.action, firing.ends_at) == (AlertAction.FIRE, None)
    assert resolved.action is AlertAction.RESOLVE
    assert resolved.dedup_key == "c45fb355b04819c9"
    assert resolved.ends_at == datetime(2026, 12, 4, 20, 18, 54, 538000, tzinfo=UTC)


def test_resolved_alert_carries_its_resolve_time() -> None:
    (alert,) = parse(_load("webhook-resolved-queue-saturated.json"), received_at=RECEIVED_AT)
    assert alert.action is AlertAction.RESOLVE
    assert alert.ends_at == datetime(2026, 12, 4, 20, 18, 58, 500000, tzinfo=UTC)
    assert alert.summary == "Document queue saturated in eu-west"


def test_final_resolved_body_lists_only_the_alert_resolved_last() -> None:
    (alert,) = parse(
        _load("webhook-resolved-extraction-error-rate-high.json"), received_at=RECEIVED_AT
    )
    assert (alert.action, alert.dedup_key) == (AlertAction.RESOLVE, "e7a520310b136af7")


def test_watchdog_start_without_fraction_and_severity_none_are_kept_as_sent() -> None:
    (alert,) = parse(_load("webhook-firing-watchdog.json"), received_at=RECEIVED_AT)
    assert alert.starts_at == datetime(2026, 12, 4, 18, 18, 51, tzinfo=UTC)
    assert alert.severity == "none"
    assert alert.labels == {"alertname": "Watchdog", "severity": "none"}


def test_alert_without_region_simply_has_no_region_label() -> None:
    (alert,) = parse(_load("webhook-firing-token-expiring-soon.json"), received_at=RECEIVED_AT)
    assert "region" not in alert.labels
    assert alert.labels["alertname"] == "TokenExpiringSoon"
    assert alert.details["group_key"] == '{}/{}:{alertname="TokenExpiringSoon"}'


def test_zero_end_time_means_the_alert_has_not_ended() -> None:
    body = _load("webhook-firing-queue-saturated.json")
    assert body["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    (alert,) = parse(body, received_at=RECEIVED_AT)
    assert alert.ends_at is None


def test_nanosecond_timestamps_are_truncated_to_microseconds() -> None:
    body = _load("webhook-resolved-upload-failures.json")
    body["alerts"][0]["startsAt"] = "2026-12-04T20:15:51.494123456Z"
    body["alerts"][0]["endsAt"] = "2026-12-04T21:18:58.5+01:00"
    (alert,) = parse(body, received_at=RECEIVED_AT)
    assert alert.starts_at == datetime(2026, 12, 4, 20, 15, 51, 494123, tzinfo=UTC)
    assert alert.ends_at == datetime(2026, 12, 4, 20, 18, 58, 500000, tzinfo=UTC)


def test_receiver_regexp_quoting_is_undone() -> None:
    body = _load("webhook-firing-upload-failures.json")
    assert body["receiver"] == "fireline\\.webhook"
    (alert,) = parse(body, received_at=RECEIVED_AT)
    assert alert.details["receiver"] == "fireline.webhook"


def test_unknown_top_level_keys_of_newer_alertmanagers_are_ignored() -> None:
    body = _load("webhook-firing-queue-saturated.json")
    plain = parse(body, received_at=RECEIVED_AT)
    body |= {"notification_reason": "first notification", "routeLabels": {}, "future": [1]}
    assert parse(body, received_at=RECEIVED_AT) == plain


def test_missing_fingerprint_falls_back_to_ours_over_the_labels() -> None:
    labels = {"alertname": "QueueSaturated", "region": "eu-west"}
    for fingerprint in (None, ""):
        item = _alert(labels=labels, fingerprint=fingerprint)
        (alert,) = parse(_body(item), received_at=RECEIVED_AT)
        assert alert.dedup_key == label_fingerprint(labels)
        assert alert.details["fingerprint"] is None


def test_summary_falls_back_to_the_description_first_line_then_the_alertname() -> None:
    described = _alert(annotations={"description": "\n  Queue is full.\nMore text."})
    bare = _alert()
    alerts = parse(_body(described, bare), received_at=RECEIVED_AT)
    assert [alert.summary for alert in alerts] == ["Queue is full.", "QueueSaturated"]


def test_severity_is_absent_when_the_labels_have_none() -> None:
    (alert,) = parse(_body(_alert()), received_at=RECEIVED_AT)
    assert alert.severity is None


def test_missing_times_default_to_receipt_for_a_start_or_a_resolution() -> None:
    firing = _alert()
    resolved = _alert(status="resolved", endsAt="0001-01-01T00:00:00Z")
    first, second = parse(_body(firing, resolved), received_at=RECEIVED_AT)
    assert (first.starts_at, first.ends_at) == (RECEIVED_AT, None)
    assert (second.starts_at, second.ends_at) == (None, RECEIVED_AT)


def test_missing_envelope_fields_are_none_and_truncation_defaults_to_zero() -> None:
    (alert,) = parse({"version": "4", "alerts": [_alert()]}, received_at=RECEIVED_AT)
    assert alert.details == {
        "group_key": None,
        "receiver": None,
        "external_url": None,
        "truncated_alerts": 0,
        "fingerprint": None,
    }


def test_truncated_alert_count_is_passed_on() -> None:
    (alert,) = parse(_body(_alert(), truncatedAlerts=3), received_at=RECEIVED_AT)
    assert alert.details["truncated_alerts"] == 3


def test_empty_label_values_are_dropped() -> None:
    item = _alert(labels={"alertname": "QueueSaturated", "region": ""})
    (alert,) = parse(_body(item), received_at=RECEIVED_AT)
    assert alert.labels == {"alertname": "QueueSaturated"}


def test_an_empty_alert_list_gives_no_alerts() -> None:
    assert parse(_body(), received_at=RECEIVED_AT) == []


def test_a_resolved_alert_needs_no_summary() -> None:
    item = {"status": "resolved", "labels": {"job": "uploads"}}
    (alert,) = parse(_body(item), received_at=RECEIVED_AT)
    assert alert.summary == ""


def test_grafana_payload_is_refused_with_a_pointer_to_the_grafana_endpoint() -> None:
    body = _load("webhook-firing-queue-saturated.json") | {"version": "1"}
    with pytest.raises(Invalid) as caught:
        parse(body, received_at=RECEIVED_AT)
    (error,) = caught.value.errors
    assert error.field == "version"
    assert '"1"' in error.message
    assert "grafana endpoint" in error.message


@pytest.mark.parametrize("version", [None, 4, "3"])
def test_any_version_but_4_is_refused(version: object) -> None:
    body = _load("webhook-firing-queue-saturated.json") | {"version": version}
    assert _fields(body) == ["version"]


@pytest.mark.parametrize("payload", [None, [], "alerts", 4])
def test_a_body_that_is_not_an_object_is_refused(payload: object) -> None:
    assert _fields(payload) == ["body"]


@pytest.mark.parametrize("alerts", [None, "x", {"0": {}}])
def test_alerts_must_be_a_list(alerts: object) -> None:
    assert _fields({"version": "4", "alerts": alerts}) == ["alerts"]


def test_each_alert_must_be_an_object() -> None:
    assert _fields(_body(_alert(), 1, None, _alert())) == ["alerts[1]", "alerts[2]"]


def test_every_bad_field_is_listed_with_its_path() -> None:
    payload = _body(
        _alert(status="pending"),
        _alert(labels={"alertname": "Q", "bad-name": "x", "region": 5}),
        _alert(annotations="summary", startsAt="yesterday"),
        _alert(endsAt="2026-12-04T20:18:51", fingerprint=7, generatorURL=["http://x"]),
        {"labels": {"alertname": "Q"}},
        {"status": "firing"},
        groupKey=5,
        receiver=[],
        externalURL={},
        truncatedAlerts=-1,
    )
    assert _fields(payload) == [
        "groupKey",
        "receiver",
        "externalURL",
        "truncatedAlerts",
        "alerts[0].status",
        "alerts[1].labels.bad-name",
        "alerts[1].labels.region",
        "alerts[2].annotations",
        "alerts[2].startsAt",
        "alerts[3].endsAt",
        "alerts[3].generatorURL",
        "alerts[3].fingerprint",
        "alerts[4].status",
        "alerts[5].labels",
    ]


def test_status_must_be_firing_or_resolved() -> None:
    with pytest.raises(Invalid) as caught:
        parse(_body(_alert(status="FIRING")), received_at=RECEIVED_AT)
    assert caught.value.errors == (
        FieldError("alerts[0].status", 'must be "firing" or "resolved"'),
    )


def test_a_firing_alert_with_nothing_to_call_it_is_refused() -> None:
    item = {"status": "firing", "labels": {"job": "uploads"}, "annotations": {"runbook": "x"}}
    assert _fields(_body(item)) == ["alerts[0].labels.alertname"]


def test_too_many_labels_are_refused() -> None:
    labels = {"alertname": "Q"} | {f"l{n}": "v" for n in range(64)}
    assert _fields(_body(_alert(labels=labels))) == ["alerts[0].labels"]


def test_an_overlong_fingerprint_is_refused() -> None:
    assert _fields(_body(_alert(fingerprint="f" * 256))) == ["alerts[0].fingerprint"]


def test_parsing_does_not_change_the_body() -> None:
    body = _load("webhook-firing-extraction-error-rate-high-1-firing-1-resolved.json")
    before = copy.deepcopy(body)
    parse(body, received_at=RECEIVED_AT)
    assert body == before
