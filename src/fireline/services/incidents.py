"""Incident use cases: open, read, list, move through the lifecycle, edit, note, staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fireline.domain.configuration import Configuration
from fireline.domain.errors import FieldError, Invalid
from fireline.domain.incidents import incident as rules
from fireline.domain.incidents.incident import Entry, Incident
from fireline.domain.incidents.query import MAX_PAGE, IncidentFilter
from fireline.domain.incidents.roles import Role
from fireline.domain.incidents.status import Transition
from fireline.domain.incidents.timeline import ChainHead, TimelineEvent
from fireline.domain.page import Page, check_limit
from fireline.services.paging.escalations import on_opened, on_transition
from fireline.services.timeline import append, seal
from fireline.store.repos.alert import AlertView
from fireline.store.uow import Tx, UnitOfWork

MAX_ALERT_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Change:
    """An incident after a change, and the event that recorded it (None if nothing changed)."""

    incident: Incident
    event: TimelineEvent | None


def create_incident(
    uow: UnitOfWork,
    *,
    title: str,
    severity: str,
    service: str,
    regions: list[str],
    actor: str,
    now: datetime,
    config: Configuration | None = None,
) -> Change:
    """Open a triggered incident, record who opened it, and start its service's escalation."""
    try:
        draft = rules.draft_incident(
            title=title, severity=severity, service=service, regions=regions
        )
    except Invalid as invalid:
        with uow.read() as tx:
            known = tx.services.find_row(service) is not None
        raise Invalid([*invalid.errors, *([] if known else [_unknown_service(service)])]) from None
    with uow.write() as tx:
        row = tx.services.find_row(draft.service)
        if row is None:
            raise Invalid([_unknown_service(service)])
        incident = tx.incidents.add(draft, service_id=row.id, created_by=actor, now=now)
        event = append(tx, incident.id, entry=rules.opened_entry(draft), actor=actor, at=now)
        if config is not None:
            on_opened(tx, incident, config=config, now=now)
        return Change(incident, event)


def _unknown_service(name: str) -> FieldError:
    return FieldError("service", f"no service named {name!r}: see GET /api/v1/services")


def get_incident(uow: UnitOfWork, *, incident_id: int) -> Incident:
    """Return one incident or raise NotFound."""
    with uow.read() as tx:
        return tx.incidents.get(incident_id)


def list_incidents(
    uow: UnitOfWork, *, query: IncidentFilter, before_id: int | None, limit: int
) -> Page[Incident]:
    """Return a page of incidents matching `query`, newest first."""
    check_limit(limit, maximum=MAX_PAGE)
    with uow.read() as tx:
        return Page.cut(tx.incidents.list_(query, before_id=before_id, limit=limit + 1), limit)


def transition_incident(
    uow: UnitOfWork,
    *,
    incident_id: int,
    action: Transition,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
    reason: str | None = None,
) -> Change:
    """Acknowledge, mitigate, resolve or reopen; illegal moves and stale versions raise."""
    with uow.write() as tx:
        current = tx.incidents.get_for_update(incident_id)
        rules.check_version(current, expected_version)
        updated, entry = rules.transition(current, action, now=now, reason=reason)
        return save_change(tx, current, updated, entry, actor=actor, now=now)


def edit_incident(
    uow: UnitOfWork,
    *,
    incident_id: int,
    expected_version: int,
    actor: str,
    now: datetime,
    title: str | None = None,
    severity: str | None = None,
    regions: list[str] | None = None,
) -> Change:
    """Change title, severity or regions of the version the caller saw."""
    with uow.write() as tx:
        current = tx.incidents.get_for_update(incident_id)
        rules.check_version(current, expected_version)
        updated, entry = rules.edit(
            current, now=now, title=title, severity=severity, regions=regions
        )
        if entry is None:
            return Change(current, None)
        return save_change(tx, current, updated, entry, actor=actor, now=now)


def change_role(
    uow: UnitOfWork,
    *,
    incident_id: int,
    role: Role,
    person: str,
    actor: str,
    now: datetime,
    remove: bool = False,
    expected_version: int | None = None,
) -> Change:
    """Assign (or, with `remove`, take away) a role on the incident."""
    with uow.write() as tx:
        current = tx.incidents.get_for_update(incident_id)
        rules.check_version(current, expected_version)
        decide = rules.unassign_role if remove else rules.assign_role
        updated, entry = decide(current, role=role, person=person, now=now)
        return save_change(tx, current, updated, entry, actor=actor, now=now)


def add_note(uow: UnitOfWork, *, incident_id: int, text: str, actor: str, now: datetime) -> Change:
    """Add a note to the incident's timeline; notes do not change the incident's version."""
    entry = rules.note_entry(text)
    with uow.write() as tx:
        current = tx.incidents.get_for_update(incident_id)
        event = append(tx, incident_id, entry=entry, actor=actor, at=now)
        return Change(current, event)


def save_change(
    tx: Tx, current: Incident, updated: Incident, entry: Entry, *, actor: str, now: datetime
) -> Change:
    """Write a decided change and its timeline event (the caller holds the row lock)."""
    event = seal(tx, updated.id, entry=entry, actor=actor, at=now)
    tx.incidents.update(
        updated,
        expected_version=current.version,
        head=ChainHead(event.seq, event.hash),
        regions_changed=updated.regions != current.regions,
    )
    # Paging follows the status: ack stops escalation, resolve cancels it and tells
    # PagerDuty/Opsgenie, reopen escalates again.
    on_transition(tx, current, updated, actor=actor, now=now)
    return Change(updated, event)


def count_by_status(uow: UnitOfWork) -> dict[str, int]:
    """Return how many incidents stand in each status."""
    with uow.read() as tx:
        return tx.incidents.count_by_status()


def incident_alerts(uow: UnitOfWork, *, incident_id: int, limit: int) -> list[AlertView]:
    """Return the alerts attached to an incident, firing first."""
    check_limit(limit, maximum=MAX_ALERT_PAGE)
    with uow.read() as tx:
        tx.incidents.get(incident_id)
        return tx.alerts.list_for_incident(incident_id, limit=limit)
