"""An alert that names failed jobs (annotation `job_ids`) links them to its incident."""

from __future__ import annotations

from pathlib import Path

from fireline.services.container import Container
from tests.support.alerts import am_alert, am_payload
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.oncall_config import INTAKE_KEY, oncall_config


def test_job_ids_of_an_alert_are_linked_to_its_incident(
    api: Api, container: Container, tmp_path: Path
) -> None:
    apply_config(container, oncall_config(), tmp_path)
    alert = am_alert(
        {"alertname": "ExtractionErrorRateHigh", "severity": "critical"},
        fingerprint="00000000000000e1",
        annotations={"summary": "extraction failing", "job_ids": "job-a1, job-b2,not a job,job-a1"},
    )
    assert (
        api.post(
            f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=am_payload([alert])
        ).status_code
        == 200
    )
    page = api.ok("GET", "/api/v1/incidents/INC-1/jobs", as_="viewer")
    assert [j["job_id"] for j in page["items"]] == ["job-a1", "job-b2"]
    events = api.ok("GET", "/api/v1/incidents/INC-1/timeline", as_="viewer")["items"]
    linked = [e for e in events if e["kind"] == "jobs.linked"]
    assert linked[0]["data"]["added"] == 2
