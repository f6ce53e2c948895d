"""Messages as plain JSON-able dicts, for the outbox row that carries them until sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fireline.domain.incidents.severity import Severity
from fireline.domain.notify.message import IncidentBrief, Message, MessageKind

VERSION = 1


def message_to_dict(message: Message) -> dict[str, Any]:
    """Return `message` as a dict of JSON types (instants as ISO 8601)."""
    brief = message.incident
    return {
        "v": VERSION,
        "kind": message.kind.value,
        "idempotency_key": message.idempotency_key,
        "created_at": message.created_at.isoformat(),
        "recipient": message.recipient,
        "step": message.step,
        "details": dict(message.details),
        "incident": {
            "ref": brief.ref,
            "title": brief.title,
            "severity": brief.severity.value,
            "status": brief.status,
            "service": brief.service,
            "summary": brief.summary,
            "runbook_url": brief.runbook_url,
            "incident_url": brief.incident_url,
            "regions": list(brief.regions),
            "opened_at": None if brief.opened_at is None else brief.opened_at.isoformat(),
        },
    }


def message_from_dict(data: dict[str, Any]) -> Message:
    """Rebuild a message written by `message_to_dict`."""
    brief = data["incident"]
    opened_at = brief.get("opened_at")
    return Message(
        kind=MessageKind(data["kind"]),
        idempotency_key=data["idempotency_key"],
        created_at=datetime.fromisoformat(data["created_at"]),
        recipient=data.get("recipient"),
        step=data.get("step"),
        details=dict(data.get("details") or {}),
        incident=IncidentBrief(
            ref=brief["ref"],
            title=brief["title"],
            severity=Severity(brief["severity"]),
            status=brief["status"],
            service=brief["service"],
            summary=brief.get("summary", ""),
            runbook_url=brief.get("runbook_url"),
            incident_url=brief.get("incident_url"),
            regions=tuple(brief.get("regions") or ()),
            opened_at=None if opened_at is None else datetime.fromisoformat(opened_at),
        ),
    )
