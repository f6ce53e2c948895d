"""The alerts bench/intake.py sends, encoded ahead of time so that the client stays cheap.

Every alert looks like one a Prometheus rule fires: `alertname`, `severity`, `region`,
`instance`, `job` and `team` labels, a summary, a description and a runbook annotation.
Alerts of one `alertname` and `region` share Fireline's default group key and therefore one
incident, as the instances of a real alert do. Request bytes are built with `orjson` before
a phase starts, so the timed part of the client only writes and reads sockets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from load import Request

REGIONS = ("eu-west-1", "us-east-1")
SEVERITIES = ("critical", "warning")
TEAM = "benchmarks"
GO_ZERO_TIME = "0001-01-01T00:00:00Z"
EXTERNAL_URL = "http://alertmanager.bench.internal:9093"
GENERATOR_URL = "http://prometheus.bench.internal:9090/graph?g0.expr=up%3D%3D0&g0.tab=1"
RUNBOOKS = "https://runbooks.bench.internal"
AM_LIFETIME = timedelta(minutes=30)


def rfc3339(instant: datetime) -> str:
    """Format an aware instant as Prometheus does: UTC, milliseconds, `Z`."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fingerprint(labels: dict[str, str]) -> str:
    """Return a 16-hex-digit fingerprint of a label set, like Alertmanager's."""
    canonical = orjson.dumps(labels, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=8).hexdigest()


def labels_of(alertname: str, region: str, instance: str, severity: str) -> dict[str, str]:
    """Return the labels of one alert."""
    return {
        "alertname": alertname,
        "severity": severity,
        "region": region,
        "instance": instance,
        "job": "node",
        "team": TEAM,
    }


def annotations_of(labels: dict[str, str]) -> dict[str, str]:
    """Return the annotations a rule would attach to an alert with these labels."""
    name = labels["alertname"]
    return {
        "summary": f"{name} on {labels['instance']} in {labels['region']}",
        "description": f"{name} has been firing for 5 minutes on {labels['instance']}.\n"
        "Check the dashboard and the runbook.",
        "runbook_url": f"{RUNBOOKS}/{name.lower()}",
    }


def distinct_labels(phase: str, index: int, group: int) -> dict[str, str]:
    """Labels of alert `index` of a phase: unique; `group` picks alertname and region."""
    return labels_of(
        alertname=f"BenchAlert{group // len(REGIONS):03d}",
        region=REGIONS[group % len(REGIONS)],
        instance=f"{phase}-{index:07d}.bench.internal:9100",
        severity=SEVERITIES[index % len(SEVERITIES)],
    )


def storm_labels(key: int) -> dict[str, str]:
    """Labels of dedup key `key` of the storm; no routing rule matches them (catch-all)."""
    return labels_of(
        alertname=f"StormAlert{key % 20:02d}",
        region=REGIONS[key % len(REGIONS)],
        instance=f"storm-{key:04d}.bench.internal:9100",
        severity="warning",
    )


def new_incident_labels(index: int, run: str) -> dict[str, str]:
    """Labels of an alert whose `alertname` is new, so that it opens an incident of its own."""
    return labels_of(
        alertname=f"BenchNew{run}x{index:06d}",
        region=REGIONS[index % len(REGIONS)],
        instance=f"new-{index:06d}.bench.internal:9100",
        severity="critical",
    )


def webhook_alert(labels: dict[str, str], starts_at: str) -> dict[str, Any]:
    """Return one firing alert as Alertmanager's webhook carries it."""
    return {
        "status": "firing",
        "labels": labels,
        "annotations": annotations_of(labels),
        "startsAt": starts_at,
        "endsAt": GO_ZERO_TIME,
        "generatorURL": GENERATOR_URL,
        "fingerprint": fingerprint(labels),
    }


def webhook_body(alerts: Sequence[dict[str, Any]]) -> bytes:
    """Return a version-4 webhook notification holding `alerts` (one group)."""
    common = {k: v for k, v in alerts[0]["labels"].items() if k in ("alertname", "region")}
    group = ",".join(f'{k}="{v}"' for k, v in sorted(common.items()))
    body = {
        "version": "4",
        "groupKey": f'{{}}/{{team="{TEAM}"}}:{{{group}}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "fireline",
        "groupLabels": common,
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": EXTERNAL_URL,
        "alerts": list(alerts),
    }
    return orjson.dumps(body)


def api_v2_body(labels: dict[str, str], now: datetime) -> bytes:
    """Return a `POST /api/v2/alerts` body holding one firing alert, as Prometheus sends it."""
    alert = {
        "labels": labels,
        "annotations": annotations_of(labels),
        "startsAt": rfc3339(now),
        "endsAt": rfc3339(now + AM_LIFETIME),
        "generatorURL": GENERATOR_URL,
    }
    return orjson.dumps([alert])


def http_post(host: str, path: str, body: bytes) -> Request:
    """Prepare a POST of a JSON body."""
    return Request.of("POST", host, path, body, {"Content-Type": "application/json"})


def http_get(host: str, path: str, headers: dict[str, str]) -> Request:
    """Prepare a GET."""
    return Request.of("GET", host, path, b"", headers)
