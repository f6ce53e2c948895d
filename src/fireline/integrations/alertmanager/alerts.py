"""The alert-group body that Alertmanager (version "4") and Grafana (version "1") both send.

A body carries the group's envelope (`groupKey`, `receiver`, `externalURL`, `truncatedAlerts`)
and the current alerts of the group, each with `status`, `labels`, `annotations`, `startsAt`,
`endsAt`, `generatorURL` and `fingerprint`. Grafana adds per-alert fields through `extras`.
Unknown keys are ignored: both senders keep adding them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from fireline.domain.alerts.alert import (
    MAX_ANNOTATION,
    MAX_DEDUP_KEY,
    AlertAction,
    AlertIn,
    label_fingerprint,
    make_alert,
)
from fireline.domain.errors import FieldError
from fireline.integrations.jsonbody import (
    collect,
    int_field,
    list_field,
    object_field,
    string_map_field,
    text_field,
    time_field,
)
from fireline.integrations.timestamp import ZERO_TIME, fill_times

ACTIONS = {"firing": AlertAction.FIRE, "resolved": AlertAction.RESOLVE}
# Go's regexp.QuoteMeta puts a backslash before each of \.+*?()|[]{}^$ in the receiver name.
_QUOTED = re.compile(r"\\([\\.+*?()|\[\]{}^$])")
_NO_SUMMARY = "is missing, and there is no summary or description annotation"

# Reads a sender's own per-alert fields: (errors, alert object, "alerts[3].") -> details.
AlertExtras = Callable[[list[FieldError], Mapping[str, Any], str], dict[str, Any]]


def check_version(
    errors: list[FieldError], *, body: Mapping[str, Any], expected: str, hint: str
) -> None:
    """Record an error unless `version` is `expected`; `hint` says where other versions go."""
    version = body.get("version")
    if version is None:
        errors.append(FieldError("version", f'is missing (expected "{expected}")'))
    elif version != expected:
        shown = f'"{version}"' if isinstance(version, str) else "not a string"
        errors.append(
            FieldError("version", f'is {shown}, but this endpoint takes "{expected}"; {hint}')
        )


def read_group(errors: list[FieldError], *, body: Mapping[str, Any]) -> dict[str, Any]:
    """Read the envelope every alert of the group shares, as details."""
    group_key = text_field(errors, field="groupKey", value=body.get("groupKey"))
    receiver = text_field(errors, field="receiver", value=body.get("receiver"))
    external_url = text_field(errors, field="externalURL", value=body.get("externalURL"))
    truncated = int_field(errors, field="truncatedAlerts", value=body.get("truncatedAlerts"))
    return {
        "group_key": group_key,
        "receiver": None if receiver is None else unquote_receiver(receiver),
        "external_url": external_url,
        "truncated_alerts": truncated or 0,
    }


def unquote_receiver(quoted: str) -> str:
    """Undo the regexp quoting Alertmanager applies to receiver names (`team\\.db` -> `team.db`)."""
    return _QUOTED.sub(r"\1", quoted)


def read_alerts(
    errors: list[FieldError],
    *,
    body: Mapping[str, Any],
    source: str,
    group: Mapping[str, Any],
    received_at: datetime,
    extras: AlertExtras | None = None,
) -> list[AlertIn]:
    """Read every `alerts[]` item; items with errors are left out and their errors recorded."""
    items = list_field(errors, field="alerts", value=body.get("alerts"), required=True)
    alerts: list[AlertIn] = []
    for index, item in enumerate(items or []):
        prefix = f"alerts[{index}]."
        found = object_field(errors, field=f"alerts[{index}]", value=item, required=True)
        if found is None:
            continue
        more = extras(errors, found, prefix) if extras else {}
        alert = read_alert(
            errors,
            item=found,
            prefix=prefix,
            source=source,
            details={**group, **more},
            received_at=received_at,
        )
        if alert is not None:
            alerts.append(alert)
    return alerts


@dataclass(frozen=True, slots=True)
class _Fields:
    """One alert object's fields, each checked."""

    action: AlertAction
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str | None
    fingerprint: str | None


def read_alert(  # noqa: PLR0913 - the group's context travels with each alert
    errors: list[FieldError],
    *,
    item: Mapping[str, Any],
    prefix: str,
    source: str,
    details: Mapping[str, Any],
    received_at: datetime,
) -> AlertIn | None:
    """Read one alert object; `prefix` (`alerts[3].`) starts every field path in errors."""
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
        summary=alert_summary(fields.labels, fields.annotations),
        source=source,
        where=prefix,
        dedup_key=fields.fingerprint or label_fingerprint(fields.labels),
        annotations=fields.annotations,
        severity=fields.labels.get("severity"),
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=fields.generator_url,
        details={**details, "fingerprint": fields.fingerprint},
    )
    return collect(errors, build)


def _read_fields(
    errors: list[FieldError], *, item: Mapping[str, Any], prefix: str
) -> _Fields | None:
    before = len(errors)
    action = _action(errors, field=f"{prefix}status", value=item.get("status"))
    labels = string_map_field(
        errors, field=f"{prefix}labels", value=item.get("labels"), required=True
    )
    annotations = string_map_field(
        errors,
        field=f"{prefix}annotations",
        value=item.get("annotations"),
        max_value=MAX_ANNOTATION,
    )
    if action is AlertAction.FIRE and isinstance(item.get("labels"), dict):
        if not alert_summary(labels, annotations):
            errors.append(FieldError(f"{prefix}labels.alertname", _NO_SUMMARY))
    starts_at = _instant(errors, field=f"{prefix}startsAt", value=item.get("startsAt"))
    ends_at = _instant(errors, field=f"{prefix}endsAt", value=item.get("endsAt"))
    url = text_field(errors, field=f"{prefix}generatorURL", value=item.get("generatorURL"))
    fingerprint = text_field(
        errors,
        field=f"{prefix}fingerprint",
        value=item.get("fingerprint"),
        max_length=MAX_DEDUP_KEY,
    )
    if action is None or len(errors) > before:
        return None
    return _Fields(
        action=action,
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=url or None,
        fingerprint=fingerprint or None,
    )


def alert_summary(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    """Pick the summary annotation, else the description's first line, else the alertname."""
    summary = annotations.get("summary", "").strip()
    if summary:
        return summary
    lines = annotations.get("description", "").strip().splitlines()
    if lines and lines[0].strip():
        return lines[0].strip()
    return labels.get("alertname", "")


def _action(errors: list[FieldError], *, field: str, value: object) -> AlertAction | None:
    if value is None:
        errors.append(FieldError(field, 'is missing (expected "firing" or "resolved")'))
        return None
    action = ACTIONS.get(value) if isinstance(value, str) else None
    if action is None:
        errors.append(FieldError(field, 'must be "firing" or "resolved"'))
    return action


def _instant(errors: list[FieldError], *, field: str, value: object) -> datetime | None:
    """Read an RFC 3339 instant; Go's zero time (`0001-01-01T00:00:00Z`) means "not set"."""
    instant = time_field(errors, field=field, value=value)
    return None if instant == ZERO_TIME else instant
