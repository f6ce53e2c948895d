"""Alertmanager webhook bodies (version 4) for tests that need alerts to arrive."""

from __future__ import annotations

from typing import Any

STARTS_AT = "2026-01-05T09:00:00Z"
NEVER = "0001-01-01T00:00:00Z"


def am_alert(
    labels: dict[str, str],
    *,
    fingerprint: str,
    status: str = "firing",
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One alert of an Alertmanager webhook."""
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations or {},
        "startsAt": STARTS_AT,
        "endsAt": NEVER,
        "generatorURL": "http://prom/graph",
        "fingerprint": fingerprint,
    }


def am_payload(alerts: list[dict[str, Any]], *, status: str = "firing") -> dict[str, Any]:
    """An Alertmanager webhook body carrying `alerts`."""
    return {
        "version": "4",
        "status": status,
        "receiver": "fireline",
        "groupKey": "{}:{}",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "truncatedAlerts": 0,
        "alerts": alerts,
    }
