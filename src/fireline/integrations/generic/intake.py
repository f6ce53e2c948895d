"""Fireline's own alert JSON: one alert object, or `{"alerts": [...]}` with 1 to 1000 of them.

This is our format, so it is strict: unknown fields are refused, and every error names its
path (`alerts[7].labels.region`; no `alerts[i].` prefix for a single alert). Fields: `summary`
(required when firing unless `labels.alertname`), `status` ("firing" default | "resolved"),
`labels`, `annotations`, `severity`, `dedup_key` (1-255 characters), `starts_at`, `ends_at`
(RFC 3339 with a zone), `generator_url`, `source` (default "api") and `details` (an object,
passed through as the alert's details).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from fireline.domain.alerts.alert import (
    MAX_ANNOTATION,
    MAX_DEDUP_KEY,
    AlertAction,
    AlertIn,
    make_alert,
)
from fireline.domain.errors import FieldError
from fireline.domain.labels import require_valid
from fireline.integrations.jsonbody import (
    collect,
    list_field,
    object_field,
    require_object,
    string_map_field,
    text_field,
    time_field,
    unknown_fields,
)
from fireline.integrations.timestamp import fill_times

DEFAULT_SOURCE = "api"
MAX_BATCH = 1000
MAX_SOURCE = 255
STATUSES = {"firing": AlertAction.FIRE, "resolved": AlertAction.RESOLVE}
FIELDS = frozenset(
    {
        "summary",
        "status",
        "labels",
        "annotations",
        "severity",
        "dedup_key",
        "starts_at",
        "ends_at",
        "generator_url",
        "source",
        "details",
    }
)
_BATCH_FIELDS = frozenset({"alerts"})
_NO_SUMMARY = "is missing (and there is no labels.alertname)"


@dataclass(frozen=True, slots=True)
class _Fields:
    """One alert object's fields, each checked."""

    action: AlertAction
    labels: dict[str, str]
    annotations: dict[str, str]
    summary: str | None
    severity: str | None
    dedup_key: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str | None
    source: str
    details: dict[str, Any] | None


def parse(payload: Any, *, received_at: datetime) -> list[AlertIn]:
    """Validate one alert or a batch; return the alerts in order, or raise Invalid listing all."""
    body = require_object(payload)
    errors: list[FieldError] = []
    entries = _batch(errors, body=body) if "alerts" in body else [("", body)]
    alerts = [
        _alert(errors, item=item, prefix=prefix, received_at=received_at)
        for prefix, item in entries
    ]
    require_valid(errors)
    return [alert for alert in alerts if alert is not None]


def _batch(errors: list[FieldError], *, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Check the batch envelope; return each alert object with its path prefix."""
    unknown_fields(errors, prefix="", body=body, known=_BATCH_FIELDS)
    items = list_field(errors, field="alerts", value=body["alerts"], required=True)
    if items is None:
        return []
    if not 1 <= len(items) <= MAX_BATCH:
        errors.append(FieldError("alerts", f"must hold 1 to {MAX_BATCH} alerts, not {len(items)}"))
        return []
    entries = []
    for index, item in enumerate(items):
        found = object_field(errors, field=f"alerts[{index}]", value=item, required=True)
        if found is not None:
            entries.append((f"alerts[{index}].", found))
    return entries


def _alert(
    errors: list[FieldError], *, item: dict[str, Any], prefix: str, received_at: datetime
) -> AlertIn | None:
    """Check one alert object; `prefix` is "" for a lone alert, else `alerts[i].`."""
    fields = _read_fields(errors, item=item, prefix=prefix)
    if fields is None:
        return None
    starts_at, ends_at = fill_times(
        fields.action, starts_at=fields.starts_at, ends_at=fields.ends_at, received_at=received_at
    )
    build = partial(
        make_alert,
        action=fields.action,
        labels=fields.labels,
        summary=fields.summary,
        source=fields.source,
        where=prefix,
        dedup_key=fields.dedup_key,
        annotations=fields.annotations,
        severity=fields.severity,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=fields.generator_url,
        details=fields.details,
    )
    return collect(errors, build)


def _read_fields(errors: list[FieldError], *, item: dict[str, Any], prefix: str) -> _Fields | None:
    before = len(errors)
    unknown_fields(errors, prefix=prefix, body=item, known=FIELDS)
    action = _status(errors, field=f"{prefix}status", value=item.get("status"))
    labels = string_map_field(errors, field=f"{prefix}labels", value=item.get("labels"))
    summary = text_field(errors, field=f"{prefix}summary", value=item.get("summary"))
    if action is AlertAction.FIRE and not (summary or "").strip() and "alertname" not in labels:
        errors.append(FieldError(f"{prefix}summary", _NO_SUMMARY))
    annotations = string_map_field(
        errors,
        field=f"{prefix}annotations",
        value=item.get("annotations"),
        max_value=MAX_ANNOTATION,
    )
    severity = text_field(errors, field=f"{prefix}severity", value=item.get("severity"))
    dedup_key = text_field(
        errors,
        field=f"{prefix}dedup_key",
        value=item.get("dedup_key"),
        blank=False,
        max_length=MAX_DEDUP_KEY,
    )
    starts_at = time_field(errors, field=f"{prefix}starts_at", value=item.get("starts_at"))
    ends_at = time_field(errors, field=f"{prefix}ends_at", value=item.get("ends_at"))
    url = text_field(errors, field=f"{prefix}generator_url", value=item.get("generator_url"))
    source = text_field(
        errors,
        field=f"{prefix}source",
        value=item.get("source"),
        blank=False,
        max_length=MAX_SOURCE,
    )
    details = object_field(errors, field=f"{prefix}details", value=item.get("details"))
    if action is None or len(errors) > before:
        return None
    return _Fields(
        action=action,
        labels=labels,
        annotations=annotations,
        summary=summary,
        severity=severity,
        dedup_key=dedup_key,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=url,
        source=source or DEFAULT_SOURCE,
        details=details,
    )


def _status(errors: list[FieldError], *, field: str, value: object) -> AlertAction | None:
    if value is None:
        return AlertAction.FIRE
    action = STATUSES.get(value) if isinstance(value, str) else None
    if action is None:
        errors.append(FieldError(field, 'must be "firing" or "resolved"'))
    return action
