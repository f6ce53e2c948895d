"""Heartbeats: a beat keeps one alive; one that stops arriving opens an incident.

A dead monitoring pipeline is itself an incident. When the heartbeat arrives again, the
incident it opened is resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fireline.domain.configuration import Configuration, Heartbeat
from fireline.domain.errors import NotFound
from fireline.domain.heartbeat import group_key, is_overdue
from fireline.domain.incidents import incident as rules
from fireline.domain.incidents.incident import Entry, IncidentDraft
from fireline.domain.incidents.severity import Severity
from fireline.domain.incidents.status import Status, Transition
from fireline.services.incidents import save_change
from fireline.services.paging.escalations import on_opened
from fireline.services.timeline import append
from fireline.store.uow import Tx, UnitOfWork

ACTOR = "fireline:heartbeats"
SEVERITY = Severity.SEV2


@dataclass(frozen=True, slots=True)
class BeatResult:
    """A recorded beat, and the incident it resolved if the heartbeat had been missed."""

    name: str
    recovered_incident: int | None


def beat(uow: UnitOfWork, *, config: Configuration, name: str, now: datetime) -> BeatResult:
    """Record that heartbeat `name` arrived (raise NotFound if it is not configured)."""
    heartbeat = next((h for h in config.heartbeats if h.name == name), None)
    if heartbeat is None:
        raise NotFound(f"no heartbeat named {name!r} is configured")
    with uow.write() as tx:
        return beat_in(tx, heartbeat, now=now)


def beat_in(tx: Tx, heartbeat: Heartbeat, *, now: datetime) -> BeatResult:
    """Record a beat inside an open transaction; resolve the incident of a missed heartbeat."""
    before = tx.heartbeats.beat(heartbeat.name, now=now)
    if before.missed_at is None or before.incident_id is None:
        return BeatResult(heartbeat.name, None)
    incident = tx.incidents.get_for_update(before.incident_id)
    late = now - before.last_seen_at
    append(
        tx,
        incident.id,
        entry=Entry(
            "heartbeat.recovered",
            {"heartbeat": heartbeat.name, "silent_for_s": int(late.total_seconds())},
        ),
        actor=ACTOR,
        at=now,
    )
    if incident.status is not Status.RESOLVED:
        updated, entry = rules.transition(
            incident, Transition.RESOLVE, now=now, reason=f"heartbeat {heartbeat.name} is back"
        )
        save_change(tx, incident, updated, entry, actor=ACTOR, now=now)
    return BeatResult(heartbeat.name, incident.id)


def check_heartbeats(uow: UnitOfWork, *, config: Configuration, now: datetime) -> list[int]:
    """Open an incident for every heartbeat overdue now; return the incidents opened."""
    opened: list[int] = []
    for heartbeat in config.heartbeats:
        with uow.write() as tx:
            incident_id = _check(tx, heartbeat, config=config, now=now)
        if incident_id is not None:
            opened.append(incident_id)
    return opened


def _check(tx: Tx, heartbeat: Heartbeat, *, config: Configuration, now: datetime) -> int | None:
    state = tx.heartbeats.arm(heartbeat.name, now=now)
    if state.missed_at is not None:
        return None
    if not is_overdue(heartbeat, last_seen_at=state.last_seen_at, now=now):
        return None
    minutes = heartbeat.interval.total_seconds() / 60
    draft = IncidentDraft(
        title=f"Heartbeat {heartbeat.name} missed: nothing for over {minutes:g} min",
        severity=SEVERITY,
        service=heartbeat.service,
        regions=(),
    )
    service_id = tx.services.ensure(heartbeat.service, now=now)
    incident = tx.incidents.add_grouped(
        draft,
        service_id=service_id,
        created_by=ACTOR,
        now=now,
        group_key=group_key(heartbeat),
        runbook_url=None,
    )
    if incident is None:
        return None
    data = {
        **rules.opened_entry(draft).data,
        "group_key": group_key(heartbeat),
        "source": "heartbeat",
    }
    append(tx, incident.id, entry=Entry("incident.opened", data), actor=ACTOR, at=now)
    append(
        tx,
        incident.id,
        entry=Entry(
            "heartbeat.missed",
            {
                "heartbeat": heartbeat.name,
                "last_seen_at": state.last_seen_at.isoformat(),
                "interval_s": int(heartbeat.interval.total_seconds()),
            },
        ),
        actor=ACTOR,
        at=now,
    )
    tx.heartbeats.mark_missed(heartbeat.name, now=now, incident_id=incident.id)
    on_opened(tx, incident, config=config, now=now)
    return incident.id
