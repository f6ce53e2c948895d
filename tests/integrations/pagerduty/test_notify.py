"""PagerDutyNotifier against FakePagerDuty on loopback: event content, outcomes, no leaked key."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from fireline.domain.incidents.severity import Severity
from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message, MessageKind
from fireline.integrations.delivery import make_client
from fireline.integrations.pagerduty.notify import DEFAULT_URL, PagerDutyNotifier
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.server import running
from tests.support.messages import (
    DOC_QUEUE,
    DOC_QUEUE_CREATED_AT,
    DOC_QUEUE_RUNBOOK,
    INCIDENT_URL,
    assert_no_secret,
    closed_port_url,
    make_message,
)

PAYLOADS = Path(__file__).parent / "payloads"
KEY = "0b1e55ed" * 4  # a 32-character routing key that must never be seen again
SHORT_TIMEOUT = httpx.Timeout(0.2)


def _message(kind: MessageKind = MessageKind.TRIGGER, **changes: Any) -> Message:
    return make_message(
        kind,
        brief=DOC_QUEUE,
        created_at=DOC_QUEUE_CREATED_AT,
        recipient=None,
        details={"team": "doc-platform"},
        **changes,
    )


def _destination(url: str, *, key: str = KEY, secret: bool = True) -> Destination:
    return Destination(
        kind=ChannelKind.PAGERDUTY,
        name="primary",
        settings={"routing_key": key, "url": url},
        secrets=frozenset({"routing_key"}) if secret else frozenset(),
    )


@pytest.fixture
def fake() -> FakePagerDuty:
    """A fresh fake PagerDuty (served by the `url` fixture)."""
    return FakePagerDuty()


@pytest.fixture
def url(fake: FakePagerDuty) -> Iterator[str]:
    """Serve `fake` on loopback; yield its enqueue URL; fail on surprises at the end."""
    with running(fake) as base:
        yield base + "/v2/enqueue"


@pytest.fixture
def notifier() -> Iterator[PagerDutyNotifier]:
    """A notifier over the shared client settings."""
    with make_client() as client:
        yield PagerDutyNotifier(client)


@pytest.fixture
def impatient() -> Iterator[PagerDutyNotifier]:
    """A notifier whose client gives up after 0.2 s."""
    with make_client(timeout=SHORT_TIMEOUT) as client:
        yield PagerDutyNotifier(client)


def test_trigger_sends_the_incident_and_returns_the_dedup_key(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    delivery = notifier.send(_message(), _destination(url))

    assert delivery == Delivery.sent("INC-42")
    (request,) = fake.take()
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "INC-42",
        "payload": {
            "summary": "[SEV2] Document queue saturated in eu-west",
            "source": "queue",
            "severity": "error",
            "timestamp": "2026-12-04T20:18:51.494+00:00",
            "group": "eu-west, eu-central",
            "custom_details": {
                "team": "doc-platform",
                "ref": "INC-42",
                "status": "triggered",
                "severity": "SEV2",
                "service": "queue",
                "regions": ["eu-west", "eu-central"],
                "summary": "Queue depth is 92% of capacity for 10 minutes.",
                "incident_url": INCIDENT_URL,
                "runbook_url": DOC_QUEUE_RUNBOOK,
                "step": 1,
            },
        },
        "links": [
            {"href": DOC_QUEUE_RUNBOOK, "text": "Runbook"},
            {"href": INCIDENT_URL, "text": "INC-42 in Fireline"},
        ],
        "client": "Fireline",
        "client_url": INCIDENT_URL,
    }
    assert fake.status("INC-42", routing_key=KEY) == "triggered"


def test_trigger_leaves_out_links_group_and_client_url_it_has_no_value_for(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    message = _message(runbook_url=None, incident_url=None, regions=(), opened_at=None)

    assert notifier.send(message, _destination(url)).outcome is Outcome.SENT

    event = fake.take()[0].json()
    assert {"links", "client_url"}.isdisjoint(event)
    assert event["client"] == "Fireline"
    assert "group" not in event["payload"]
    assert event["payload"]["timestamp"] == "2026-12-04T20:19:02.000+00:00"  # created_at


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (Severity.SEV1, "critical"),
        (Severity.SEV2, "error"),
        (Severity.SEV3, "warning"),
        (Severity.SEV4, "info"),
        (Severity.SEV5, "info"),
    ],
)
def test_severity_maps_to_pagerdutys_four_levels(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier, severity: Severity, expected: str
) -> None:
    notifier.send(_message(severity=severity), _destination(url))

    payload = fake.take()[0].json()["payload"]
    assert payload["severity"] == expected
    assert payload["summary"].startswith(f"[{severity}] ")


def test_summary_is_cut_to_pagerdutys_1024_characters(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    delivery = notifier.send(_message(title="x" * 2000, service=""), _destination(url))

    assert delivery.outcome is Outcome.SENT
    payload = fake.take()[0].json()["payload"]
    assert len(payload["summary"]) == 1024
    assert payload["summary"].endswith("x…")
    assert payload["source"] == "Fireline"  # a blank service still names a source


def test_acknowledge_and_resolve_send_only_the_key_and_move_the_same_alert(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    destination = _destination(url)
    notifier.send(_message(), destination)
    fake.take()

    for kind, status in (
        (MessageKind.ACKNOWLEDGE, "acknowledged"),
        (MessageKind.RESOLVE, "resolved"),
    ):
        assert notifier.send(_message(kind), destination) == Delivery.sent("INC-42")
        assert fake.take()[0].json() == {
            "routing_key": KEY,
            "event_action": kind.value,
            "dedup_key": "INC-42",
        }
        assert fake.status("INC-42", routing_key=KEY) == status


def test_test_message_triggers_an_info_alert_under_its_own_dedup_key(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    delivery = notifier.send(_message(MessageKind.TEST), _destination(url))

    assert delivery == Delivery.sent("fireline-test-outbox-7")
    event = fake.take()[0].json()
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == "fireline-test-outbox-7"
    assert event["payload"]["severity"] == "info"
    assert event["payload"]["summary"].startswith("[TEST] ")
    assert fake.status("INC-42", routing_key=KEY) is None


def test_rate_limit_is_retried_after_pagerdutys_wait(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    fake.fail_next(429, retry_after="30")

    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after == timedelta(seconds=30)
    assert "HTTP 429" in delivery.reason


def test_server_error_is_retried(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    fake.fail_next(500)

    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after is None


def test_invalid_event_fails_for_good_with_pagerdutys_reason(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    short_key = KEY[:31]

    delivery = notifier.send(_message(), _destination(url, key=short_key))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 400" in delivery.reason
    assert "Length of 'routing_key' is incorrect" in delivery.reason
    assert fake.take_refusals() == [
        "POST /v2/enqueue: Length of 'routing_key' is incorrect (should be 32 characters)"
    ]


def test_timeout_is_retried_and_the_late_event_keeps_the_same_dedup_key(
    fake: FakePagerDuty, url: str, impatient: PagerDutyNotifier
) -> None:
    fake.delay_next(0.6)

    delivery = impatient.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.reason.startswith("timed out")
    # PagerDuty may still process a request we gave up on; the dedup key makes a retry harmless.
    assert fake.take()[0].json()["dedup_key"] == "INC-42"


def test_connection_refused_is_retried(notifier: PagerDutyNotifier) -> None:
    delivery = notifier.send(_message(), _destination(closed_port_url("/v2/enqueue")))

    assert delivery.outcome is Outcome.RETRY
    assert "could not reach" in delivery.reason


def test_missing_routing_key_fails_without_a_request(
    fake: FakePagerDuty, url: str, notifier: PagerDutyNotifier
) -> None:
    delivery = notifier.send(_message(), _destination(url, key=" "))

    assert delivery.outcome is Outcome.FAILED
    assert "no routing_key" in delivery.reason
    assert fake.attempts == []


def test_url_defaults_to_pagerdutys_events_endpoint() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"status": "success", "dedup_key": "INC-42"})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        destination = replace(_destination(""), settings={"routing_key": KEY})
        delivery = PagerDutyNotifier(client).send(_message(), destination)

    assert delivery == Delivery.sent("INC-42")
    assert str(seen[0].url) == DEFAULT_URL


@pytest.mark.parametrize(
    "scenario", ["sent", "rate-limited", "server-error", "echoed-key", "timeout", "refused"]
)
@pytest.mark.parametrize("marked_secret", [True, False])
def test_no_outcome_leaks_the_routing_key(
    fake: FakePagerDuty,
    url: str,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    scenario: str,
    *,
    marked_secret: bool,
) -> None:
    # Only the timeout scenario gets the 0.2 s client: on a loaded machine the others could
    # time out too, and then not reach the outcome they are about.
    sender: PagerDutyNotifier = request.getfixturevalue(
        "impatient" if scenario == "timeout" else "notifier"
    )
    caplog.set_level(logging.DEBUG)
    target = closed_port_url("/v2/enqueue") if scenario == "refused" else url
    if scenario == "rate-limited":
        fake.fail_next(429, retry_after="5")
    elif scenario == "server-error":
        fake.fail_next(503)
    elif scenario == "echoed-key":
        fake.answer_next(400, body={"status": "invalid event", "errors": [f"bad key {KEY}"]})
    elif scenario == "timeout":
        fake.delay_next(0.6)

    delivery = sender.send(_message(), _destination(target, secret=marked_secret))

    assert_no_secret(delivery, caplog, KEY)
    if scenario == "echoed-key":
        assert "bad key <redacted>" in delivery.reason
    if scenario in ("sent", "timeout"):
        fake.take()


@pytest.mark.parametrize("name", sorted(path.name for path in PAYLOADS.glob("*.json")))
def test_fake_accepts_every_event_alertmanager_sent_to_pagerduty(
    fake: FakePagerDuty, url: str, name: str
) -> None:
    body = (PAYLOADS / name).read_bytes()

    response = httpx.post(url, content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 202
    sent = json.loads(body)
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": sent["dedup_key"],
    }
    fake.take()


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"event_action": "trigger"}, "'routing_key' is missing or blank"),
        ({"routing_key": KEY, "event_action": "close"}, "'event_action' is invalid"),
        ({"routing_key": KEY, "event_action": "resolve"}, "'dedup_key' is missing or blank"),
        (
            {"routing_key": KEY, "event_action": "resolve", "dedup_key": "k" * 256},
            "'dedup_key' is too long",
        ),
        ({"routing_key": KEY, "event_action": "trigger"}, "'payload' is missing or blank"),
        (
            {"routing_key": KEY, "event_action": "trigger", "payload": {"summary": "s"}},
            "'payload.source' is missing or blank",
        ),
        (
            {
                "routing_key": KEY,
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "h", "severity": "high"},
            },
            "'payload.severity' is invalid",
        ),
        (
            {
                "routing_key": KEY,
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "h", "severity": "info", "timestamp": "now"},
            },
            "'payload.timestamp' is not an ISO 8601 time",
        ),
        (
            {"routing_key": KEY, "event_action": "resolve", "dedup_key": "k", "links": [{}]},
            "'links[0].href' is missing or blank",
        ),
        (
            {
                "routing_key": KEY,
                "event_action": "resolve",
                "dedup_key": "k",
                "images": [{"src": "http://img.example/a.png"}],
            },
            "'images[0].src' must be an https URL",
        ),
        (
            {"routing_key": KEY, "event_action": "resolve", "dedupkey": "k"},
            "'dedupkey' is not a known field",
        ),
    ],
)
def test_fake_refuses_what_pagerduty_would(
    fake: FakePagerDuty, url: str, event: dict[str, Any], error: str
) -> None:
    response = httpx.post(url, json=event)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event"
    assert any(error in text for text in body["errors"])
    assert len(fake.take_refusals()) == 1


def test_fake_refuses_a_body_that_is_not_json(fake: FakePagerDuty, url: str) -> None:
    response = httpx.post(url, content=b"{", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json()["status"] == "Unrecognized object"
    assert fake.take_refusals() == ["POST /v2/enqueue: the body is not a JSON object"]
