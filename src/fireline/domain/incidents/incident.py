"""The incident aggregate and the decisions that change it, each returning the timeline entry."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fireline.domain.errors import FieldError, Invalid, StaleVersion
from fireline.domain.incidents.ref import format_ref
from fireline.domain.incidents.roles import Role, Roles
from fireline.domain.incidents.severity import Severity
from fireline.domain.incidents.status import Status, Transition, next_status
from fireline.domain.validation import check_name, check_slugs, check_text

MAX_TITLE = 200
MAX_NOTE = 10_000


@dataclass(frozen=True, slots=True)
class Entry:
    """What a change says in the timeline: its kind and its data."""

    kind: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident as the domain sees it; `version` rises with every state change."""

    id: int
    title: str
    severity: Severity
    status: Status
    service: str
    regions: tuple[str, ...]
    roles: Roles
    created_at: datetime
    updated_at: datetime
    created_by: str
    version: int = 1
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    reopened_at: datetime | None = None
    group_key: str | None = None
    runbook_url: str | None = None

    @property
    def ref(self) -> str:
        """Return the reference people use, like INC-12."""
        return format_ref(self.id)


@dataclass(frozen=True, slots=True)
class IncidentDraft:
    """A validated request to open an incident."""

    title: str
    severity: Severity
    service: str
    regions: tuple[str, ...]


def draft_incident(*, title: str, severity: str, service: str, regions: list[str]) -> IncidentDraft:
    """Validate the parts of a new incident, reporting every bad field at once."""
    errors: list[FieldError] = []
    clean_title = check_text(errors, field="title", value=title, max_length=MAX_TITLE)
    level = _parse_severity(errors, severity)
    clean_regions = check_slugs(errors, field="regions", values=regions)
    if errors:
        raise Invalid(errors)
    assert level is not None
    return IncidentDraft(clean_title, level, service, clean_regions)


def opened_entry(draft: IncidentDraft) -> Entry:
    """Return the timeline entry that records an incident being opened."""
    return Entry(
        "incident.opened",
        {
            "title": draft.title,
            "severity": draft.severity.value,
            "service": draft.service,
            "regions": list(draft.regions),
        },
    )


def check_version(incident: Incident, expected_version: int | None) -> None:
    """Raise StaleVersion when the caller acted on an older version of the incident."""
    if expected_version is not None and expected_version != incident.version:
        raise StaleVersion(
            f"{incident.ref} is at version {incident.version}, not {expected_version}: "
            "reload it and try again",
            current_version=incident.version,
        )


_STAMP = {
    Status.ACKNOWLEDGED: "acknowledged_at",
    Status.MITIGATED: "mitigated_at",
    Status.RESOLVED: "resolved_at",
}


def transition(
    incident: Incident, action: Transition, *, now: datetime, reason: str | None = None
) -> tuple[Incident, Entry]:
    """Move the incident through its lifecycle, or raise Conflict if `action` is illegal now."""
    target = next_status(incident.status, action)
    changes: dict[str, Any] = {"status": target, "updated_at": now, "version": incident.version + 1}
    if action is Transition.REOPEN:
        changes |= {
            "acknowledged_at": None,
            "mitigated_at": None,
            "resolved_at": None,
            "reopened_at": now,
        }
    else:
        changes[_STAMP[target]] = now
    data: dict[str, Any] = {"from": incident.status.value, "to": target.value}
    if reason:
        data["reason"] = reason
    return replace(incident, **changes), Entry(f"incident.{action.value}", data)


def edit(
    incident: Incident,
    *,
    now: datetime,
    title: str | None = None,
    severity: str | None = None,
    regions: list[str] | None = None,
) -> tuple[Incident, Entry | None]:
    """Change title, severity or regions; return None as the entry when nothing changed."""
    errors: list[FieldError] = []
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = check_text(errors, field="title", value=title, max_length=MAX_TITLE)
    if severity is not None:
        changes["severity"] = _parse_severity(errors, severity)
    if regions is not None:
        changes["regions"] = check_slugs(errors, field="regions", values=regions)
    if errors:
        raise Invalid(errors)
    diff = {
        name: {"from": _plain(getattr(incident, name)), "to": _plain(value)}
        for name, value in changes.items()
        if getattr(incident, name) != value
    }
    if not diff:
        return incident, None
    updated = replace(
        incident,
        **{name: changes[name] for name in diff},
        updated_at=now,
        version=incident.version + 1,
    )
    return updated, Entry("incident.edited", diff)


def assign_role(
    incident: Incident, *, role: Role, person: str, now: datetime
) -> tuple[Incident, Entry]:
    """Give `person` a role on the incident; the previous holder of a single role is recorded."""
    _check_person(person)
    previous = None if role is Role.RESPONDER else incident.roles.holder(role)
    roles = incident.roles.assign(role, person)
    data: dict[str, Any] = {"role": role.value, "person": person}
    if previous is not None:
        data["replaced"] = previous
    updated = replace(incident, roles=roles, updated_at=now, version=incident.version + 1)
    return updated, Entry("role.assigned", data)


def unassign_role(
    incident: Incident, *, role: Role, person: str, now: datetime
) -> tuple[Incident, Entry]:
    """Take a role away from `person`."""
    _check_person(person)
    roles = incident.roles.unassign(role, person)
    updated = replace(incident, roles=roles, updated_at=now, version=incident.version + 1)
    return updated, Entry("role.unassigned", {"role": role.value, "person": person})


def note_entry(text: str) -> Entry:
    """Validate a note and return its timeline entry."""
    errors: list[FieldError] = []
    clean = check_text(errors, field="text", value=text, max_length=MAX_NOTE)
    if errors:
        raise Invalid(errors)
    return Entry("note.added", {"text": clean})


def _check_person(person: str) -> None:
    errors: list[FieldError] = []
    check_name(errors, field="person", value=person)
    if errors:
        raise Invalid(errors)


def _parse_severity(errors: list[FieldError], value: str) -> Severity | None:
    try:
        return Severity(value.upper())
    except ValueError:
        errors.append(FieldError("severity", f"{value!r} is not one of SEV1 (worst) to SEV5"))
        return None


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Severity):
        return value.value
    return value
