"""PagerDuty Events API v2 intake: one `/v2/enqueue` event becomes one `AlertIn`.

`event_action` trigger/acknowledge/resolve maps to FIRE/ACKNOWLEDGE/RESOLVE. Labels come from
the payload's `source`, `component`, `group`, `class` and `severity`, then from each
`custom_details` entry that is a label name with a one-line string value of at most 1024
characters (PagerDuty's fields win a clash). `details` holds whichever of `custom_details`,
`links`, `images`, `client` and `client_url` were sent. `payload.timestamp` is the trigger's
start or the resolution's end. The reply-body helpers speak PagerDuty's own shapes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fireline.domain.alerts.alert import (
    MAX_DEDUP_KEY,
    MAX_LABELS,
    MAX_SUMMARY,
    AlertAction,
    AlertIn,
    make_alert,
)
from fireline.domain.errors import FieldError, Invalid
from fireline.domain.labels import LABEL_NAME
from fireline.integrations.jsonbody import (
    MISSING_TEXT,
    list_field,
    object_field,
    require_object,
    text_field,
    time_field,
)
from fireline.integrations.timestamp import fill_times

SOURCE = "pagerduty"
MAX_LABEL_VALUE = 1024
ACTIONS = {
    "trigger": AlertAction.FIRE,
    "acknowledge": AlertAction.ACKNOWLEDGE,
    "resolve": AlertAction.RESOLVE,
}
SEVERITIES = ("critical", "error", "warning", "info")
_BAD_ACTION = "is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"
_BAD_SEVERITY = (
    "is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"
)
_BAD_TIMESTAMP = (
    "is invalid (must be an ISO 8601 date-time with a zone, like 2015-07-17T08:42:58.315+0000)"
)
_TEXT_LABELS = ("source", "component", "group", "class")
_CONTEXT = ("client", "client_url")


@dataclass(frozen=True, slots=True)
class _Event:
    """The checked `payload` object (empty when an acknowledge or resolve carries none)."""

    summary: str = ""
    severity: str | None = None
    timestamp: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def routing_key(payload: Any) -> str:
    """Return the event's `routing_key` (to authenticate before parsing), or raise Invalid."""
    body = require_object(payload)
    errors: list[FieldError] = []
    key = _routing_key(errors, body)
    if errors:
        raise Invalid(errors)
    return key


def parse(payload: Any, *, received_at: datetime) -> list[AlertIn]:
    """Validate an Events v2 body; return its one alert, or raise Invalid listing all faults.

    A trigger without `dedup_key` gets a fresh one (uuid4 hex), which the caller returns.
    """
    body = require_object(payload)
    errors: list[FieldError] = []
    _routing_key(errors, body)
    action = _action(errors, body.get("event_action"))
    dedup_key = _dedup_key(errors, body.get("dedup_key"), action=action)
    event = _event(errors, body.get("payload"), required=action is AlertAction.FIRE)
    context = _context(errors, body)
    if errors or action is None:
        raise Invalid(errors)
    starts_at, ends_at = fill_times(
        action,
        starts_at=event.timestamp if action is AlertAction.FIRE else None,
        ends_at=event.timestamp if action is AlertAction.RESOLVE else None,
        received_at=received_at,
    )
    alert = make_alert(
        action=action,
        labels=event.labels,
        summary=event.summary,
        source=SOURCE,
        dedup_key=dedup_key or uuid.uuid4().hex,
        severity=event.severity,
        starts_at=starts_at,
        ends_at=ends_at,
        details={**event.details, **context},
    )
    return [alert]


def accepted_body(dedup_key: str) -> dict[str, str]:
    """Build PagerDuty's 202 reply body for an accepted event."""
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


def invalid_body(errors: list[str]) -> dict[str, Any]:
    """Build PagerDuty's 400 reply body from error strings (see `error_strings`)."""
    return {"status": "invalid event", "message": "Event object is invalid", "errors": errors}


def error_strings(invalid: Invalid) -> list[str]:
    """Word each field error as PagerDuty does: `'payload.summary' is missing or blank`."""
    return [
        f"'{error.field}' {error.message}"
        if error.message.startswith("is ")
        else f"'{error.field}' is invalid ({error.message})"
        for error in invalid.errors
    ]


def _routing_key(errors: list[FieldError], body: Mapping[str, Any]) -> str:
    return (
        text_field(errors, field="routing_key", value=body.get("routing_key"), required=True) or ""
    )


def _action(errors: list[FieldError], value: object) -> AlertAction | None:
    if value is None or value == "":
        errors.append(FieldError("event_action", MISSING_TEXT))
        return None
    action = ACTIONS.get(value) if isinstance(value, str) else None
    if action is None:
        errors.append(FieldError("event_action", _BAD_ACTION))
    return action


def _dedup_key(
    errors: list[FieldError], value: object, *, action: AlertAction | None
) -> str | None:
    """Required to acknowledge or resolve; a trigger may leave it out (or blank) to get one."""
    required = action in (AlertAction.ACKNOWLEDGE, AlertAction.RESOLVE)
    if not required and isinstance(value, str) and not value.strip():
        return None
    return text_field(
        errors, field="dedup_key", value=value, required=required, max_length=MAX_DEDUP_KEY
    )


def _event(errors: list[FieldError], value: object, *, required: bool) -> _Event:
    """Check `payload`: summary, source and severity are required only on trigger."""
    if value is None and required:
        errors.append(FieldError("payload", MISSING_TEXT))
    found = object_field(errors, field="payload", value=value)
    if found is None:
        return _Event()
    summary = text_field(
        errors,
        field="payload.summary",
        value=found.get("summary"),
        required=required,
        max_length=MAX_SUMMARY,
    )
    labels: dict[str, str] = {}
    for name in _TEXT_LABELS:
        text = text_field(
            errors,
            field=f"payload.{name}",
            value=found.get(name),
            required=required and name == "source",
            max_length=MAX_LABEL_VALUE,
        )
        if text and text.strip():
            labels[name] = text
    severity = _severity(errors, found.get("severity"), required=required)
    if severity:
        labels["severity"] = severity
    timestamp = time_field(
        errors, field="payload.timestamp", value=found.get("timestamp"), rule=_BAD_TIMESTAMP
    )
    custom = found.get("custom_details")
    return _Event(
        summary=summary or "",
        severity=severity,
        timestamp=timestamp,
        labels=_with_custom_labels(labels, custom),
        details={} if custom is None else {"custom_details": custom},
    )


def _severity(errors: list[FieldError], value: object, *, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            errors.append(FieldError("payload.severity", MISSING_TEXT))
        return None
    if value not in SEVERITIES:
        errors.append(FieldError("payload.severity", _BAD_SEVERITY))
        return None
    return str(value)


def _with_custom_labels(labels: dict[str, str], custom: object) -> dict[str, str]:
    """Add custom details that fit as labels; skip the rest (e.g. multi-line `firing` text)."""
    if not isinstance(custom, dict):
        return labels
    merged = dict(labels)
    for name, value in custom.items():
        if len(merged) >= MAX_LABELS:
            break
        if name not in merged and LABEL_NAME.match(name) and _fits_label(value):
            merged[name] = value
    return merged


def _fits_label(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.strip() != ""
        and len(value) <= MAX_LABEL_VALUE
        and "\n" not in value
        and "\r" not in value
    )


def _context(errors: list[FieldError], body: Mapping[str, Any]) -> dict[str, Any]:
    """Read `links`, `images`, `client` and `client_url`, keeping those that were sent."""
    context: dict[str, Any] = {}
    links = _references(errors, field="links", value=body.get("links"), key="href", more=("text",))
    if links is not None:
        context["links"] = links
    images = _references(
        errors, field="images", value=body.get("images"), key="src", more=("href", "alt")
    )
    if images is not None:
        context["images"] = images
    for name in _CONTEXT:
        text = text_field(errors, field=name, value=body.get(name))
        if text is not None:
            context[name] = text
    return context


def _references(
    errors: list[FieldError], *, field: str, value: object, key: str, more: tuple[str, ...]
) -> list[dict[str, str]] | None:
    """Read an array of objects with a required `key` string and optional `more` strings."""
    items = list_field(errors, field=field, value=value)
    if items is None:
        return None
    references: list[dict[str, str]] = []
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        found = object_field(errors, field=where, value=item, required=True)
        if found is None:
            continue
        reference: dict[str, str] = {}
        for name in (key, *more):
            text = text_field(
                errors, field=f"{where}.{name}", value=found.get(name), required=name == key
            )
            if text is not None:
                reference[name] = text
        references.append(reference)
    return references
