"""A real Alertmanager notifies a live Fireline, firing then resolved; both databases.

Twice over: through its webhook receiver (`/integrations/alertmanager/{key}`) and through its
native PagerDuty notifier (`pagerduty_configs` with `url` = Fireline's `/v2/enqueue`). The
test posts alerts to Alertmanager's own API and waits, without sleeping, until Fireline's API
shows the incident opened, then resolved: it re-reads the API each time an intake request
finishes (see `IntakeLog.wait_until`), and a timeout fails with Alertmanager's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fireline.clock import SystemClock
from tests.e2e.live import (
    AM_KEY,
    AM_PD_KEY,
    PD_RUNBOOK,
    RUNBOOK_URL,
    Fireline,
)
from tests.support.alertmanager import (
    Alertmanager,
    AlertmanagerConfig,
    PagerDutyReceiver,
    WebhookReceiver,
    firing_alert,
    resolved_alert,
)

LABELS = {"alertname": "QueueSaturated", "region": "eu-west", "severity": "critical"}
HOOK_PATH = f"/integrations/alertmanager/{AM_KEY}"
ANNOTATIONS = {"summary": "Document queue saturated in eu-west", "runbook_url": RUNBOOK_URL}


KINDS = ["incident.opened", "alert.fired", "alert.resolved", "incident.resolve"]


def _kinds(timeline: list[dict[str, Any]]) -> list[str]:
    return [event["kind"] for event in timeline]


def _alert_sources(timeline: list[dict[str, Any]]) -> set[str]:
    """The `source` of every event an alert caused (the resolution itself names none)."""
    return {event["data"]["source"] for event in timeline if event["kind"] in KINDS[:3]}


@dataclass(frozen=True)
class _Seen:
    """What Fireline's API showed after the firing and after the resolved notification."""

    opened: dict[str, Any]
    opened_timeline: list[dict[str, Any]]
    resolved: dict[str, Any]
    timeline: list[dict[str, Any]]


def _fire_then_resolve(am: Alertmanager, fireline: Fireline) -> _Seen:
    """Post the alert firing, wait for its incident; post it resolved, wait for resolution."""
    clock = SystemClock()  # Alertmanager judges endsAt by the real clock, not Fireline's fake one
    alert = firing_alert(LABELS, now=clock.now(), annotations=ANNOTATIONS)
    am.post_alerts([alert])
    opened = fireline.wait_for_sole_incident("triggered", explain=am.explain)
    opened_timeline = fireline.timeline(opened["ref"])
    am.post_alerts([resolved_alert(alert, now=clock.now())])
    resolved = fireline.wait_for_sole_incident("resolved", explain=am.explain)
    assert resolved["ref"] == opened["ref"]
    return _Seen(opened, opened_timeline, resolved, fireline.timeline(resolved["ref"]))


def test_alertmanager_webhook_firing_then_resolved_opens_and_resolves_the_incident(
    fireline: Fireline, tmp_path: Path
) -> None:
    webhook = WebhookReceiver(url=f"{fireline.url}{HOOK_PATH}")
    with Alertmanager(AlertmanagerConfig(webhook=webhook), directory=tmp_path / "am") as am:
        seen = _fire_then_resolve(am, fireline)

    actor = "alertmanager:prometheus"
    assert (seen.opened["service"], seen.opened["severity"], seen.opened["regions"]) == (
        "job-queue",
        "SEV1",  # the `queue` rule's template: severity=critical → SEV1
        ["eu-west"],
    )
    assert (seen.opened["title"], seen.opened["created_by"]) == (ANNOTATIONS["summary"], actor)
    first, fired = seen.opened_timeline
    assert (first["kind"], fired["kind"]) == ("incident.opened", "alert.fired")
    assert first["data"]["runbook"] == RUNBOOK_URL  # from the alert's runbook_url annotation
    assert fired["data"]["runbook"] == RUNBOOK_URL
    assert (first["data"]["rule"], fired["data"]["integration"]) == ("queue", "prometheus")

    assert _kinds(seen.timeline) == KINDS
    assert {event["actor"] for event in seen.timeline} == {actor}
    assert _alert_sources(seen.timeline) == {"alertmanager"}
    exchanges = fireline.intake.exchanges()
    assert [(e.path, e.status) for e in exchanges] == [(HOOK_PATH, 200)] * 2
    assert all(e.user_agent.startswith("Alertmanager/") for e in exchanges)


def test_alertmanager_pagerduty_notifier_trigger_then_resolve_opens_and_resolves_the_incident(
    fireline: Fireline, tmp_path: Path
) -> None:
    # Alertmanager's Events v2 payload has no labels; these details become labels in Fireline.
    details = {"alertname": "{{ .CommonLabels.alertname }}", "region": "{{ .CommonLabels.region }}"}
    pagerduty = PagerDutyReceiver(base_url=fireline.url, routing_key=AM_PD_KEY, details=details)
    with Alertmanager(AlertmanagerConfig(pagerduty=pagerduty), directory=tmp_path / "am") as am:
        seen = _fire_then_resolve(am, fireline)

    actor = "pagerduty:prometheus-pd"
    assert (seen.opened["service"], seen.opened["severity"], seen.opened["regions"]) == (
        "job-queue",
        "SEV2",  # the `queue-via-pagerduty` rule: Alertmanager's default PD severity "error"
        ["eu-west"],
    )
    assert seen.opened["title"].startswith("[FIRING:1] QueueSaturated")  # Alertmanager's summary
    assert seen.opened["created_by"] == actor
    first, fired = seen.opened_timeline
    assert (first["data"]["rule"], first["data"]["runbook"]) == ("queue-via-pagerduty", PD_RUNBOOK)
    assert fired["data"]["integration"] == "prometheus-pd"

    assert _kinds(seen.timeline) == KINDS
    assert {event["actor"] for event in seen.timeline} == {actor}
    assert _alert_sources(seen.timeline) == {"pagerduty"}
    exchanges = fireline.intake.exchanges()
    assert [(e.path, e.status) for e in exchanges] == [("/v2/enqueue", 202)] * 2
    assert all(e.user_agent.startswith("Alertmanager/") for e in exchanges)
