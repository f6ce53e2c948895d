"""What a list of incidents is filtered by, and the cursor that pages through it."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.incidents.severity import Severity
from fireline.domain.incidents.status import Status

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Conditions a listed incident meets; empty means any."""

    statuses: tuple[Status, ...] = ()
    severities: tuple[Severity, ...] = ()
    service: str | None = None
    region: str | None = None
    job_id: str | None = None
    created_since: datetime | None = None
    created_until: datetime | None = None


def encode_cursor(last_id: int) -> str:
    """Return the opaque cursor that continues a newest-first listing after `last_id`."""
    raw = json.dumps({"before": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str = "cursor") -> int:
    """Return the id a cursor continues before, or raise Invalid."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        before = data["before"]
        if isinstance(before, int) and before > 0:
            return before
    except (ValueError, KeyError, TypeError, binascii.Error):
        pass
    raise Invalid([FieldError(field, "is not a cursor returned by a previous page")])
