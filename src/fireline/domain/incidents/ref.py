"""Incident references: `INC-12` for people, the number 12 for storage."""

from __future__ import annotations

import re

from fireline.domain.errors import NotFound

PREFIX = "INC-"
_REF = re.compile(r"^(?:INC-)?([1-9][0-9]{0,17})$", re.IGNORECASE)


def format_ref(incident_id: int) -> str:
    """Return the reference people see for incident number `incident_id`."""
    return f"{PREFIX}{incident_id}"


def parse_ref(ref: str) -> int:
    """Return the incident number in `INC-12` or `12`; anything else names no incident."""
    match = _REF.match(ref.strip())
    if match is None:
        raise NotFound(f"no incident {ref!r}: references look like INC-12 or 12")
    return int(match.group(1))
