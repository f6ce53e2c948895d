"""PagerDuty Webhooks v3 inbound: signatures (rotation, tampering) and incident events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fireline.domain.errors import Invalid, Malformed
from fireline.integrations.pagerduty.inbound import InboundEvent, parse_event, verify_signature
from tests.fakes.pagerduty import sign_webhook

WEBHOOKS = Path(__file__).parent / "payloads" / "webhooks-v3"
SECRET = "whsec-current-7QeVb2"
OLD_SECRET = "whsec-previous-Kd93Lm"


def _body(name: str) -> bytes:
    return (WEBHOOKS / name).read_bytes()


def _edited(name: str, **event: Any) -> bytes:
    """The payload `name` with top-level `event` fields replaced (None deletes one)."""
    body = json.loads(_body(name))
    for key, value in event.items():
        if value is None:
            del body["event"][key]
        else:
            body["event"][key] = value
    return json.dumps(body).encode()


def _with_data(name: str, **data: Any) -> bytes:
    body = json.loads(_body(name))
    body["event"]["data"] |= data
    return json.dumps(body).encode()


# --- signatures ----------------------------------------------------------------------------


def test_signature_over_the_exact_body_is_valid() -> None:
    body = _body("incident-acknowledged.json")
    assert "Zürich".encode() in body  # the HMAC covers UTF-8 bytes, not re-encoded JSON

    assert verify_signature(
        body=body, header=sign_webhook(body, secrets=[SECRET]), secrets=[SECRET]
    )


def test_tampered_body_is_rejected() -> None:
    body = _body("incident-acknowledged.json")
    header = sign_webhook(body, secrets=[SECRET])
    tampered = body.replace(b'"incident.acknowledged"', b'"incident.resolved"')

    assert not verify_signature(body=tampered, header=header, secrets=[SECRET])


def test_wrong_secret_is_rejected() -> None:
    body = _body("incident-resolved.json")

    assert not verify_signature(
        body=body, header=sign_webhook(body, secrets=["guess"]), secrets=[SECRET]
    )


@pytest.mark.parametrize("header", [None, "", " ", "v1=", "v0=abc", "sha256=abc,v2=def"])
def test_missing_or_unusable_header_is_rejected(header: str | None) -> None:
    assert not verify_signature(
        body=_body("incident-resolved.json"), header=header, secrets=[SECRET]
    )


def test_any_of_several_signatures_during_pagerdutys_rotation_is_enough() -> None:
    body = _body("incident-resolved.json")
    header = sign_webhook(body, secrets=["retired-secret", SECRET])

    assert verify_signature(body=body, header=header, secrets=[SECRET])


def test_any_of_our_secrets_during_our_rotation_is_enough() -> None:
    body = _body("incident-resolved.json")
    header = sign_webhook(body, secrets=[OLD_SECRET])

    assert verify_signature(body=body, header=header, secrets=[SECRET, OLD_SECRET])
    assert not verify_signature(body=body, header=header, secrets=[SECRET])


def test_items_of_other_versions_are_ignored_and_spaces_tolerated() -> None:
    body = _body("incident-resolved.json")
    valid = sign_webhook(body, secrets=[SECRET])

    header = f"v2=deadbeef, {valid.upper().replace('V1=', 'v1=')} "
    assert verify_signature(body=body, header=header, secrets=[SECRET])


def test_an_empty_secret_never_validates_anything() -> None:
    body = _body("incident-resolved.json")

    assert not verify_signature(body=body, header=sign_webhook(body, secrets=[""]), secrets=[""])
    assert not verify_signature(body=body, header="v1=x", secrets=[])


def test_non_ascii_signature_is_rejected_not_raised() -> None:
    assert not verify_signature(body=b"{}", header="v1=é", secrets=[SECRET])


# --- events --------------------------------------------------------------------------------


def test_acknowledged_event_names_our_incident_and_who_acted() -> None:
    event = parse_event(_body("incident-acknowledged.json"))

    assert event == InboundEvent(
        event_id="01FB0RT4MWYY8Q8J4WW3D2KHZ7",
        event_type="incident.acknowledged",
        occurred_at=datetime(2026, 12, 4, 20, 24, 11, 108000, tzinfo=UTC),
        incident_id="Q2NDLRVR1EN6YA",
        incident_key="INC-42",
        status="acknowledged",
        agent="Ana Ortiz",
        incident_url="https://acme.pagerduty.com/incidents/Q2NDLRVR1EN6YA",
    )


def test_resolved_event_is_read() -> None:
    event = parse_event(_body("incident-resolved.json"))

    assert event is not None
    assert (event.event_type, event.incident_key, event.status) == (
        "incident.resolved",
        "INC-42",
        "resolved",
    )


@pytest.mark.parametrize(
    ("name", "event_type"),
    [
        ("incident-reopened.json", "incident.reopened"),
        ("incident-unacknowledged.json", "incident.unacknowledged"),
    ],
)
def test_other_state_changes_are_read(name: str, event_type: str) -> None:
    event = parse_event(_body(name))

    assert event is not None
    assert event.event_type == event_type
    assert event.status == "triggered"


def test_automation_has_no_agent() -> None:
    event = parse_event(_body("incident-unacknowledged.json"))

    assert event is not None
    assert event.agent is None


def test_agent_without_a_summary_is_unnamed() -> None:
    agent = {"id": "PTUXL6G", "type": "user_reference", "summary": None}
    event = parse_event(_edited("incident-acknowledged.json", agent=agent))

    assert event is not None
    assert event.agent is None


@pytest.mark.parametrize("key", [None, ""])
def test_incident_opened_elsewhere_has_no_incident_key(key: str | None) -> None:
    event = parse_event(_with_data("incident-resolved.json", incident_key=key))

    assert event is not None
    assert event.incident_key is None
    assert event.incident_id == "Q2NDLRVR1EN6YA"  # what a caller can still match on


@pytest.mark.parametrize(
    "body",
    [
        _body("incident-triggered.json"),  # the echo of our own trigger
        _body("incident-annotated.json"),
        _body("pagey-ping.json"),
        _edited("incident-resolved.json", event_type="incident.workflow.started"),
        _edited("incident-resolved.json", event_type="service.updated", data={"type": "service"}),
        _edited("incident-resolved.json", event_type="incident.future_thing", data=[]),
    ],
)
def test_event_types_we_do_not_mirror_are_ignored(body: bytes) -> None:
    assert parse_event(body) is None


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe{}", b"event"])
def test_body_that_is_not_json_is_malformed(body: bytes) -> None:
    with pytest.raises(Malformed):
        parse_event(body)


def _fields(body: bytes) -> set[str]:
    with pytest.raises(Invalid) as caught:
        parse_event(body)
    return {error.field for error in caught.value.errors}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b"[]", {"body"}),
        (b"{}", {"event"}),
        (b'{"event": []}', {"event"}),
        (b'{"event": {"event_type": 7}}', {"event.event_type"}),
        (
            _edited("incident-resolved.json", id=None, occurred_at="yesterday"),
            {"event.id", "event.occurred_at"},
        ),
        (_edited("incident-resolved.json", occurred_at=None), {"event.occurred_at"}),
        (_edited("incident-resolved.json", data=None), {"event.data", "event.data.id"}),
        (_edited("incident-resolved.json", agent="Ana"), {"event.agent"}),
        (_with_data("incident-resolved.json", type="incident_note"), {"event.data.type"}),
        (
            _with_data("incident-resolved.json", id=None, incident_key=42),
            {"event.data.id", "event.data.incident_key"},
        ),
    ],
)
def test_broken_incident_event_is_invalid_listing_every_field(
    body: bytes, fields: set[str]
) -> None:
    assert _fields(body) == fields
