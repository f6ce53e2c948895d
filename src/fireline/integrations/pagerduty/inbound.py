"""PagerDuty Webhooks v3 inbound: check the signature, then read an incident state change.

`verify_signature` implements `X-PagerDuty-Signature`: HMAC-SHA256 of the raw body bytes, hex,
one `v1=<hex>` item per active secret (several during rotation), compared in constant time.
Nothing is signed but the body, so replays are the caller's to catch (dedupe on `event_id`).

`parse_event` reads the incident events that mirror back onto a Fireline incident
(`HANDLED_TYPES`) and returns None for every other type, including `incident.triggered` (the
echo of our own trigger), notes, `pagey.ping` and types PagerDuty adds later (the contract
says receivers must ignore unknown types).

Finding the Fireline incident: for `data.type == "incident"` the v3 payload carries
`data.incident_key`, the incident's de-duplication key. When the alert Fireline triggered
(dedup_key = our incident ref) opened the PagerDuty incident, that key is our ref. It can be
null or another value when PagerDuty grouped the alert into an incident opened by something
else, or someone opened the incident by hand; callers then fall back to `incident_id`
(PagerDuty's own id) if they have seen it, and otherwise ignore the event. The other v3 data
types (`incident_note`, `incident_responder`, ...) hold only a reference without the key,
which is one more reason they are ignored here.

Pure: no I/O, no clock. May import `fireline.domain` and `fireline.integrations` helpers only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fireline.domain.errors import FieldError, Invalid, Malformed
from fireline.integrations.jsonbody import object_field, require_object, text_field, time_field

SIGNATURE_HEADER = "X-PagerDuty-Signature"
SIGNATURE_VERSION = "v1="
HANDLED_TYPES = frozenset(
    {
        "incident.acknowledged",
        "incident.unacknowledged",
        "incident.resolved",
        "incident.reopened",
    }
)


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One PagerDuty incident state change, as Fireline needs it.

    `incident_key` is the PagerDuty incident's dedup key (Fireline's incident ref when our
    trigger opened it), `agent` the summary of who acted (None for automation or when
    PagerDuty leaves the summary out), `incident_url` PagerDuty's page for the incident.
    """

    event_id: str
    event_type: str
    occurred_at: datetime
    incident_id: str
    incident_key: str | None
    status: str | None
    agent: str | None
    incident_url: str | None


def verify_signature(*, body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """Tell whether any `v1=` signature in `header` is the HMAC of `body` under any secret."""
    if not header:
        return False
    given = [
        part.strip()[len(SIGNATURE_VERSION) :].lower().encode("utf-8", "replace")
        for part in header.split(",")
        if part.strip().startswith(SIGNATURE_VERSION)
    ]
    # An empty secret would make the HMAC computable by anyone: never accept it.
    wanted = [_sign(body, secret) for secret in secrets if secret]
    matched = False
    for want in wanted:
        for signature in given:
            # No early exit: the time taken does not say which secret or item matched.
            matched |= hmac.compare_digest(want, signature)
    return matched


def parse_event(body: bytes) -> InboundEvent | None:
    """Read a v3 webhook body; None for types we ignore; Malformed / Invalid when broken."""
    try:
        decoded = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise Malformed(f"the PagerDuty webhook body is not JSON: {error}") from error
    errors: list[FieldError] = []
    event = object_field(
        errors, field="event", value=require_object(decoded).get("event"), required=True
    )
    event_type = (
        text_field(errors, field="event.event_type", value=event.get("event_type"), required=True)
        if event is not None
        else None
    )
    if event is None or event_type is None:
        raise Invalid(errors)
    if event_type not in HANDLED_TYPES:
        return None
    return _incident_event(event, event_type=event_type)


def _incident_event(event: dict[str, Any], *, event_type: str) -> InboundEvent:
    errors: list[FieldError] = []
    event_id = text_field(errors, field="event.id", value=event.get("id"), required=True)
    occurred_at = time_field(errors, field="event.occurred_at", value=event.get("occurred_at"))
    if occurred_at is None and event.get("occurred_at") is None:
        errors.append(FieldError("event.occurred_at", "is missing or blank"))
    data = object_field(errors, field="event.data", value=event.get("data"), required=True) or {}
    if data and data.get("type") != "incident":
        errors.append(FieldError("event.data.type", f"must be 'incident' for {event_type}"))
    incident_id = text_field(errors, field="event.data.id", value=data.get("id"), required=True)
    incident_key = text_field(
        errors, field="event.data.incident_key", value=data.get("incident_key")
    )
    status = text_field(errors, field="event.data.status", value=data.get("status"))
    url = text_field(errors, field="event.data.html_url", value=data.get("html_url"))
    agent = _agent(errors, event.get("agent"))
    if errors or event_id is None or occurred_at is None or incident_id is None:
        raise Invalid(errors)
    return InboundEvent(
        event_id=event_id,
        event_type=event_type,
        occurred_at=occurred_at,
        incident_id=incident_id,
        incident_key=incident_key or None,
        status=status,
        agent=agent,
        incident_url=url,
    )


def _agent(errors: list[FieldError], value: object) -> str | None:
    """Read `event.agent`: null means automation; a reference's `summary` may be null too."""
    agent = object_field(errors, field="event.agent", value=value)
    if agent is None:
        return None
    summary = text_field(errors, field="event.agent.summary", value=agent.get("summary"))
    return summary or None


def _sign(body: bytes, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest().encode("ascii")
