"""A notification as plain data: what happened to which incident, ready for any channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fireline.domain.incidents.severity import Severity


class MessageKind(StrEnum):
    """Why a message is sent.

    TRIGGER pages (a person, or opens the alert in PagerDuty/Opsgenie); ACKNOWLEDGE and RESOLVE
    mirror the incident's state to channels that keep their own copy (PagerDuty, Opsgenie) and
    inform the others; TEST checks that a destination works.
    """

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class IncidentBrief:
    """What a page says about an incident: enough for a responder to act on it."""

    ref: str  # "INC-42": the PagerDuty dedup_key and the Opsgenie alias
    title: str
    severity: Severity
    status: str
    service: str
    summary: str = ""
    runbook_url: str | None = None
    incident_url: str | None = None  # link to the incident in Fireline
    regions: tuple[str, ...] = ()
    opened_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One notification to deliver once: `idempotency_key` is stable across retries."""

    kind: MessageKind
    incident: IncidentBrief
    idempotency_key: str
    created_at: datetime
    recipient: str | None = None  # the user being paged, when a person is the target
    step: int | None = None  # the escalation step that sent it, when one did
    details: dict[str, str] = field(default_factory=dict)
