"""Alertmanager webhook intake: one `AlertIn` per alert of a version "4" group notification.

Each alert keeps its labels and annotations; `dedup_key` is Alertmanager's per-alert
`fingerprint` (or ours over the labels when absent). The group envelope goes into `details`:
`group_key`, `receiver` (regexp quoting undone), `external_url`, `truncated_alerts`, and the
alert's `fingerprint` as sent (None when absent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.domain.alerts.alert import AlertIn
from fireline.domain.errors import FieldError
from fireline.domain.labels import require_valid
from fireline.integrations.alertmanager.alerts import check_version, read_alerts, read_group
from fireline.integrations.jsonbody import require_object

SOURCE = "alertmanager"
VERSION = "4"
_OTHER_VERSIONS = (
    'Grafana alerting webhooks (version "1") go to the grafana endpoint, '
    "/integrations/grafana/<key>"
)


def parse(payload: Any, *, received_at: datetime) -> list[AlertIn]:
    """Validate an Alertmanager webhook body; return its alerts, or raise Invalid listing all."""
    body = require_object(payload)
    errors: list[FieldError] = []
    check_version(errors, body=body, expected=VERSION, hint=_OTHER_VERSIONS)
    group = read_group(errors, body=body)
    alerts = read_alerts(errors, body=body, source=SOURCE, group=group, received_at=received_at)
    require_valid(errors)
    return alerts
