"""PagerDuty webhooks v3 flowing back: a signed ack or resolve in PagerDuty changes the incident."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fireline.services.container import Container
from fireline.services.timeline import read_timeline
from tests.fakes.pagerduty import sign_webhook
from tests.support.alerts import am_alert, am_payload
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.oncall_config import INTAKE_KEY, oncall_config

PAYLOADS = Path(__file__).parents[1] / "integrations" / "pagerduty" / "payloads" / "webhooks-v3"
SECRET = "pd-webhook-secret-0123456789"
HOOK = "/integrations/pagerduty/webhook"
ALERT = am_payload(
    [
        am_alert(
            {"alertname": "QueueSaturated", "severity": "critical"},
            fingerprint="0000000000000b22",
            annotations={"summary": "Queue is saturated"},
        )
    ]
)


def _event(name: str, *, incident_key: str = "INC-1") -> bytes:
    event: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    event["event"]["data"]["incident_key"] = incident_key
    return json.dumps(event).encode()


def _send(api: Api, body: bytes, *, secrets: tuple[str, ...] = (SECRET,)) -> Any:
    headers = {
        "X-PagerDuty-Signature": sign_webhook(body, secrets=secrets),
        "Content-Type": "application/json",
    }
    return api.post(HOOK, as_=None, content=body, headers=headers)


@pytest.fixture
def configured(container: Container, tmp_path: Path, api: Api) -> Container:
    """A config whose PagerDuty channel has a webhook secret, and one open incident, INC-1."""
    text = oncall_config().replace(
        'url: "http://127.0.0.1:9/v2/enqueue"}',
        f'url: "http://127.0.0.1:9/v2/enqueue", webhook_secrets: ["old-secret-0000", {SECRET}]}}',
    )
    apply_config(container, text, tmp_path)
    assert (
        api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=ALERT).status_code
        == 200
    )
    return container


def test_ack_in_pagerduty_acknowledges_the_incident(api: Api, configured: Container) -> None:
    answer = _send(api, _event("incident-acknowledged"))
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "applied",
        "incident": "INC-1",
        "event": "incident.acknowledged",
    }
    incident = api.ok("GET", "/api/v1/incidents/INC-1", as_="viewer")
    assert incident["status"] == "acknowledged"
    events = read_timeline(configured.uow, incident_id=1, after_seq=0, limit=100).items
    assert events[-1].actor == "pagerduty:Ana Ortiz"


@pytest.mark.usefixtures("configured")
def test_resolve_then_a_repeat_is_ignored_not_an_error(api: Api) -> None:
    assert _send(api, _event("incident-resolved")).json()["status"] == "applied"
    again = _send(api, _event("incident-resolved"))
    assert again.status_code == 200
    assert again.json()["status"] == "ignored"
    assert api.ok("GET", "/api/v1/incidents/INC-1", as_="viewer")["status"] == "resolved"


@pytest.mark.usefixtures("configured")
def test_bad_or_missing_signature_is_401(api: Api) -> None:
    body = _event("incident-acknowledged")
    assert _send(api, body, secrets=("wrong-secret-000",)).status_code == 401
    unsigned = api.post(HOOK, as_=None, content=body)
    assert unsigned.status_code == 401
    assert api.ok("GET", "/api/v1/incidents/INC-1", as_="viewer")["status"] == "triggered"


@pytest.mark.usefixtures("configured")
def test_a_rotated_secret_still_verifies(api: Api) -> None:
    answer = _send(api, _event("incident-acknowledged"), secrets=("old-secret-0000",))
    assert answer.json()["status"] == "applied"


@pytest.mark.usefixtures("configured")
def test_events_for_unknown_incidents_and_other_types_are_ignored(api: Api) -> None:
    assert (
        _send(api, _event("incident-acknowledged", incident_key="INC-999")).json()["status"]
        == "ignored"
    )
    assert _send(api, _event("incident-annotated")).json()["status"] == "ignored"
    assert _send(api, _event("pagey-ping")).json()["status"] == "ignored"


def test_without_webhook_secrets_the_endpoint_is_off(
    api: Api, container: Container, tmp_path: Path
) -> None:
    apply_config(container, oncall_config(), tmp_path)
    assert _send(api, _event("incident-acknowledged")).status_code == 404
