"""Grafana unified-alerting webhook intake: version "1" group notifications.

The alerts have Alertmanager's shape, read by the same code; Grafana's additions go into
`details` next to the group envelope (`group_key`, `receiver`, `external_url`,
`truncated_alerts`, `fingerprint`): `org_id`, and per alert `dashboard_url`, `panel_url`,
`silence_url`, `image_url` (None when Grafana sent none) and `values` (ref-id -> number, `{}`
when none). The rendered `title`/`message` and any embedded image are not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fireline.domain.alerts.alert import AlertIn
from fireline.domain.errors import FieldError
from fireline.domain.labels import require_valid
from fireline.integrations.alertmanager.alerts import check_version, read_alerts, read_group
from fireline.integrations.jsonbody import int_field, object_field, require_object, text_field

SOURCE = "grafana"
VERSION = "1"
_OTHER_VERSIONS = (
    'Alertmanager webhooks (version "4") go to the alertmanager endpoint, '
    "/integrations/alertmanager/<key>"
)
_LINKS = {
    "dashboardURL": "dashboard_url",
    "panelURL": "panel_url",
    "silenceURL": "silence_url",
    "imageURL": "image_url",
}


def parse(payload: Any, *, received_at: datetime) -> list[AlertIn]:
    """Validate a Grafana webhook body; return its alerts or raise Invalid listing all faults."""
    body = require_object(payload)
    errors: list[FieldError] = []
    check_version(errors, body=body, expected=VERSION, hint=_OTHER_VERSIONS)
    group = read_group(errors, body=body)
    group["org_id"] = int_field(errors, field="orgId", value=body.get("orgId"))
    alerts = read_alerts(
        errors,
        body=body,
        source=SOURCE,
        group=group,
        received_at=received_at,
        extras=_alert_extras,
    )
    require_valid(errors)
    return alerts


def _alert_extras(errors: list[FieldError], item: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """Grafana's per-alert links and evaluated values; Go sends "" for a missing link."""
    extras: dict[str, Any] = {
        detail: text_field(errors, field=f"{prefix}{name}", value=item.get(name)) or None
        for name, detail in _LINKS.items()
    }
    extras["values"] = _values(errors, field=f"{prefix}values", value=item.get("values"))
    return extras


def _values(errors: list[FieldError], *, field: str, value: object) -> dict[str, float]:
    """Read `values`, a map of query ref-id to number (Go sends `null` for an empty map)."""
    found = object_field(errors, field=field, value=value) or {}
    values: dict[str, float] = {}
    for ref, number in found.items():
        if isinstance(number, bool) or not isinstance(number, int | float):
            errors.append(FieldError(f"{field}.{ref}", "must be a number"))
        else:
            values[ref] = number
    return values
