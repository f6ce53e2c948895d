"""The normalised alert every intake format becomes, validated and bounded at the edge."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from fireline.domain.canonical_json import canonical_json
from fireline.domain.errors import FieldError, Invalid
from fireline.domain.labels import check_labels

MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
MAX_LABELS = 64
MAX_ANNOTATION = 16_384
MAX_DETAILS_BYTES = 64 * 1024


class AlertAction(StrEnum):
    """What the sender says about the alert."""

    FIRE = "fire"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True, slots=True)
class AlertIn:
    """One alert as received: what happened, where, and how to recognise it again."""

    action: AlertAction
    labels: dict[str, str]
    summary: str
    source: str
    dedup_key: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    severity: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def label_fingerprint(labels: Mapping[str, str]) -> str:
    """Return a stable 16-hex-digit fingerprint of a label set (order does not matter)."""
    return hashlib.sha256(canonical_json(dict(labels))).hexdigest()[:16]


def make_alert(  # noqa: PLR0913 - an alert has this many parts
    *,
    action: AlertAction,
    labels: Mapping[str, object],
    summary: str | None,
    source: str,
    where: str = "",
    dedup_key: str | None = None,
    annotations: Mapping[str, object] | None = None,
    severity: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    generator_url: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AlertIn:
    """Validate and bound an alert; `where` prefixes field names (`alerts[3].`) in errors."""
    errors: list[FieldError] = []
    clean_labels = check_labels(errors, field=f"{where}labels", labels=labels)
    if len(clean_labels) > MAX_LABELS:
        errors.append(FieldError(f"{where}labels", f"at most {MAX_LABELS} labels"))
    clean_annotations = check_labels(
        errors, field=f"{where}annotations", labels=annotations or {}, max_value=MAX_ANNOTATION
    )
    if dedup_key is not None and not 0 < len(dedup_key) <= MAX_DEDUP_KEY:
        errors.append(FieldError(f"{where}dedup_key", f"must be 1-{MAX_DEDUP_KEY} characters"))
    text = (summary or "").strip() or clean_labels.get("alertname", "")
    if not text and action is AlertAction.FIRE:
        errors.append(FieldError(f"{where}summary", "is missing (and there is no alertname)"))
    if starts_at is not None and starts_at.tzinfo is None:
        errors.append(FieldError(f"{where}starts_at", "must carry a time zone"))
    if ends_at is not None and ends_at.tzinfo is None:
        errors.append(FieldError(f"{where}ends_at", "must carry a time zone"))
    extra = dict(details or {})
    if _encoded_size(extra) > MAX_DETAILS_BYTES:
        extra = {"note": f"details dropped: larger than {MAX_DETAILS_BYTES} bytes"}
    if errors:
        raise Invalid(errors)
    return AlertIn(
        action=action,
        labels=clean_labels,
        summary=_bounded(text, MAX_SUMMARY),
        source=source,
        dedup_key=dedup_key,
        annotations=clean_annotations,
        severity=severity,
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=generator_url,
        details=extra,
    )


def _encoded_size(details: Mapping[str, Any]) -> int:
    """Return the bytes of `details` as JSON, counting what JSON cannot hold as its str()."""
    try:
        return len(orjson.dumps(details, default=str, option=orjson.OPT_NON_STR_KEYS))
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, say
        return len(json.dumps(details, default=str, ensure_ascii=False).encode())


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
