"""Alert intake over HTTP, with real captured Alertmanager payloads; both databases."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fireline.app import build
from fireline.config import Settings
from fireline.services.config_store import record_revision
from fireline.services.configfile.loader import load_config
from fireline.services.container import Container
from fireline.web.app import create_app
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.fake_clock import FakeClock

PAYLOADS = Path(__file__).parents[1] / "integrations"
AM_KEY, PD_KEY, API_KEY, GRAFANA_KEY = (
    "am-test-key-0001",
    "pd0test0key0000000000000000000001",
    "api-test-key-01",
    "grafana-test-key",
)
CONFIG = f"""
services:
  - {{name: job-queue, team: platform, tier: 1, regions: [eu-west]}}
  - {{name: extraction, team: documents, tier: 1, regions: [eu-west]}}
  - {{name: monitoring, team: sre, tier: 2}}
integrations:
  - {{name: prometheus, kind: alertmanager, key: {AM_KEY}}}
  - {{name: grafana, kind: grafana, key: {GRAFANA_KEY}}}
  - {{name: pd-compat, kind: pagerduty, key: {PD_KEY}}}
  - {{name: api, kind: generic, key: {API_KEY}}}
routing:
  catch_all_service: monitoring
  rules:
    - name: queue
      match: ['alertname="QueueSaturated"']
      service: job-queue
      severity: "{{% if labels.severity == 'critical' %}}SEV1{{% else %}}SEV3{{% endif %}}"
      runbook: runbooks/queue-saturation.md
    - name: extraction
      match: ['alertname="ExtractionErrorRateHigh"']
      service: extraction
      runbook: runbooks/extraction-errors.md
"""


def _payload(kind: str, name: str) -> Any:
    return json.loads((PAYLOADS / kind / "payloads" / f"{name}.json").read_text())


@pytest.fixture
def configured(container: Container, tmp_path: Path) -> Container:
    """The container with the test configuration applied and live."""
    return apply_config(container, CONFIG, tmp_path)


Incident = Callable[[str], dict[str, Any]]


@pytest.fixture
def incident(api: Api) -> Incident:
    def get(ref: str) -> dict[str, Any]:
        result: dict[str, Any] = api.ok("GET", f"/api/v1/incidents/{ref}", as_="viewer")
        return result

    return get


def _am(api: Api, name: str, key: str = AM_KEY) -> Any:
    return api.post(
        f"/integrations/alertmanager/{key}", as_=None, json=_payload("alertmanager", name)
    )


@pytest.mark.usefixtures("configured")
def test_alertmanager_firing_then_resolved_opens_and_resolves_the_incident(
    api: Api, incident: Incident
) -> None:
    fired = _am(api, "webhook-firing-queue-saturated")
    assert fired.status_code == 200, fired.text
    body = fired.json()
    assert (body["new"], len(body["opened"])) == (1, 1)
    ref = body["opened"][0]
    opened = incident(ref)
    assert (opened["service"], opened["severity"], opened["status"]) == (
        "job-queue",
        "SEV1",
        "triggered",
    )
    assert opened["runbook_url"] == "runbooks/queue-saturation.md"
    assert opened["group_key"] == "job-queue/QueueSaturated/eu-west"
    timeline = api.ok("GET", f"/api/v1/incidents/{ref}/timeline", as_="viewer")["items"]
    assert timeline[0]["data"]["runbook"] == "runbooks/queue-saturation.md"
    assert timeline[1]["data"]["source"] == "alertmanager"
    assert _am(api, "webhook-firing-queue-saturated").json()["repeats"] == 1
    resolved = _am(api, "webhook-resolved-queue-saturated").json()
    assert resolved["resolved"] == 1
    assert incident(ref)["status"] == "resolved"


@pytest.mark.usefixtures("configured")
def test_a_group_resolving_alert_by_alert_resolves_once_all_have(
    api: Api, incident: Incident
) -> None:
    ref = _am(api, "webhook-firing-extraction-error-rate-high-2-alerts").json()["opened"][0]
    partial = _am(api, "webhook-firing-extraction-error-rate-high-1-firing-1-resolved").json()
    assert (partial["resolved"], partial["repeats"]) == (1, 1)
    assert incident(ref)["status"] == "triggered"
    _am(api, "webhook-resolved-extraction-error-rate-high")
    assert incident(ref)["status"] == "resolved"


@pytest.mark.usefixtures("configured")
def test_unmatched_alerts_go_to_the_catch_all_service(api: Api, incident: Incident) -> None:
    ref = _am(api, "webhook-firing-token-expiring-soon").json()["opened"][0]
    assert incident(ref)["service"] == "monitoring"


@pytest.mark.usefixtures("configured")
def test_unknown_or_wrong_kind_of_key_is_a_404(api: Api) -> None:
    assert _am(api, "webhook-firing-queue-saturated", key="nope").status_code == 404
    assert _am(api, "webhook-firing-queue-saturated", key=GRAFANA_KEY).status_code == 404


@pytest.mark.usefixtures("configured")
def test_bad_bodies_are_400_naming_fields_and_store_nothing(api: Api, container: Container) -> None:
    url = f"/integrations/alertmanager/{AM_KEY}"
    broken = api.post(
        url, as_=None, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    body = _payload("alertmanager", "webhook-firing-extraction-error-rate-high-2-alerts")
    body["alerts"][1]["labels"] = "oops"
    invalid = api.post(url, as_=None, json=body)
    assert invalid.status_code == 400
    assert "alerts[1].labels" in {e["field"] for e in invalid.json()["errors"]}
    with container.uow.read() as tx:
        assert tx.alerts.count() == 0


@pytest.mark.usefixtures("configured")
def test_a_body_over_one_mebibyte_is_a_413(api: Api) -> None:
    huge = b'{"alerts": [' + b'"x",' * 300_000 + b'"x"]}'
    response = api.post(
        f"/integrations/alertmanager/{AM_KEY}",
        as_=None,
        content=huge,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


@pytest.mark.usefixtures("configured")
def test_pagerduty_events_trigger_acknowledge_and_resolve(api: Api, incident: Incident) -> None:
    trigger = {
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "dedup_key": "db01/disk",
        "payload": {
            "summary": "Disk 95% full",
            "source": "db01",
            "severity": "critical",
            "class": "QueueSaturated",
        },
    }
    accepted = api.post("/v2/enqueue", as_=None, json=trigger)
    assert accepted.status_code == 202
    assert accepted.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "db01/disk",
    }
    refs = api.ok("GET", "/api/v1/incidents", as_="viewer")["items"]
    assert len(refs) == 1
    ref = refs[0]["ref"]
    for action, status in (("acknowledge", "acknowledged"), ("resolve", "resolved")):
        event = {"routing_key": PD_KEY, "event_action": action, "dedup_key": "db01/disk"}
        assert api.post("/v2/enqueue", as_=None, json=event).status_code == 202
        assert incident(ref)["status"] == status


@pytest.mark.usefixtures("configured")
def test_pagerduty_errors_are_shaped_like_pagerduty(api: Api) -> None:
    bad = {
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "payload": {"summary": "x", "source": "y", "severity": "bad"},
    }
    response = api.post("/v2/enqueue", as_=None, json=bad)
    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["message"]) == ("invalid event", "Event object is invalid")
    assert any("payload.severity" in e for e in body["errors"])
    unknown = api.post("/v2/enqueue", as_=None, json={**bad, "routing_key": "x" * 32})
    assert unknown.status_code in (400, 404)
    garbage = api.post(
        "/v2/enqueue", as_=None, content=b"{", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 400


@pytest.mark.usefixtures("configured")
def test_pagerduty_sent_by_alertmanager_is_accepted(api: Api) -> None:
    trigger = _payload("pagerduty", "pagerduty-trigger-queue-saturated")
    trigger["routing_key"] = PD_KEY
    assert api.post("/v2/enqueue", as_=None, json=trigger).status_code == 202
    resolve = _payload("pagerduty", "pagerduty-resolve-queue-saturated")
    resolve["routing_key"] = PD_KEY
    assert api.post("/v2/enqueue", as_=None, json=resolve).status_code == 202
    items = api.ok("GET", "/api/v1/incidents", as_="viewer")["items"]
    assert [i["status"] for i in items] == ["resolved"]


@pytest.mark.usefixtures("configured")
def test_generic_batches_are_all_or_nothing_up_to_one_thousand(
    api: Api, container: Container
) -> None:
    auth = {"Authorization": f"Bearer {API_KEY}"}
    batch = {
        "alerts": [
            {"summary": f"job {n} stuck", "labels": {"alertname": "JobStuck", "job": f"j{n}"}}
            for n in range(1000)
        ]
    }
    ok = api.post("/api/v1/alerts", as_=None, headers=auth, json=batch)
    assert ok.status_code == 200, ok.text
    assert ok.json()["new"] == 1000
    batch["alerts"].append({"summary": "one too many"})
    assert api.post("/api/v1/alerts", as_=None, headers=auth, json=batch).status_code == 400
    bad = {"alerts": [{"summary": "fine"}, {"summary": "bad", "labels": {"x": 1}}]}
    assert api.post("/api/v1/alerts", as_=None, headers=auth, json=bad).status_code == 400
    assert api.post("/api/v1/alerts", as_=None, json=bad).status_code == 401
    with container.uow.read() as tx:
        assert tx.alerts.count() == 1000


@pytest.mark.usefixtures("configured")
def test_a_newly_applied_config_takes_effect_without_a_restart(
    api: Api, container: Container, tmp_path: Path, incident: Incident
) -> None:
    changed = CONFIG.replace(
        "service: job-queue\n      severity", "service: extraction\n      severity"
    )
    path = tmp_path / "changed.yaml"
    path.write_text(changed)
    record_revision(
        container.uow,
        configuration=load_config(path),
        content=changed,
        source=str(path),
        applied_by="test",
        now=container.clock.now(),
    )
    container.live_config.refresh()
    ref = _am(api, "webhook-firing-queue-saturated").json()["opened"][0]
    assert incident(ref)["service"] == "extraction"


def test_intake_before_any_config_is_a_404(api: Api) -> None:
    assert _am(api, "webhook-firing-queue-saturated").status_code == 404


def test_intake_answers_503_when_the_database_is_unreachable() -> None:
    container = build(
        Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"), FakeClock()
    )
    with TestClient(create_app(container)) as client:
        response = client.post(
            f"/integrations/alertmanager/{AM_KEY}",
            json=_payload("alertmanager", "webhook-firing-queue-saturated"),
        )
        pd = client.post(
            "/v2/enqueue",
            json={
                "routing_key": PD_KEY,
                "event_action": "trigger",
                "payload": {"summary": "s", "source": "x", "severity": "info"},
            },
        )
    container.uow.engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert pd.status_code == 503


@pytest.mark.usefixtures("configured")
def test_an_incident_lists_its_alerts_with_counts(api: Api) -> None:
    ref = _am(api, "webhook-firing-extraction-error-rate-high-2-alerts").json()["opened"][0]
    _am(api, "webhook-firing-extraction-error-rate-high-1-firing-1-resolved")
    listed = api.ok("GET", f"/api/v1/incidents/{ref}/alerts", as_="viewer")
    assert listed["incident"] == ref
    assert [(a["status"], a["occurrences"]) for a in listed["items"]] == [
        ("firing", 2),
        ("resolved", 1),
    ]
    assert listed["items"][0]["labels"]["alertname"] == "ExtractionErrorRateHigh"
    assert listed["items"][0]["source"] == "alertmanager"
