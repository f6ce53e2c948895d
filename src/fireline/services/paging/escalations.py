"""Escalations: snapshot the policy when an incident opens, page each step, stop on ack.

Lock order everywhere: the incident's row first, then its escalation. Hooks run inside the
transaction of the incident change (`on_opened`, `on_transition`); `advance_escalations` is
the engine's timer work, one incident per transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from fireline.domain.configuration import Configuration, OnCall
from fireline.domain.escalation import planner
from fireline.domain.escalation.planner import Escalation, EscalationStatus, Page
from fireline.domain.escalation.policy import policy_from_dict, policy_to_dict
from fireline.domain.incidents.incident import Entry, Incident
from fireline.domain.incidents.status import Status
from fireline.domain.notify.message import MessageKind
from fireline.services.paging.mirror import mirror_change
from fireline.services.paging.pages import queue_pages
from fireline.services.timeline import append
from fireline.store.repos.escalation import STARTING, EscalationRecord
from fireline.store.uow import Tx, UnitOfWork

ACTOR = "fireline:escalation"
BATCH = 100
STOPPED_BY = {
    Status.ACKNOWLEDGED: "acknowledged",
    Status.MITIGATED: "acknowledged",
    Status.RESOLVED: "resolved",
}


def on_opened(tx: Tx, incident: Incident, *, config: Configuration, now: datetime) -> bool:
    """Snapshot the service's policy onto a new incident and queue its first step's pages.

    The pages go into the outbox in the transaction that opens the incident, so the engine's
    first wake-up after the commit sends them; later steps wait on the escalation's timer.
    """
    policy = config.oncall.policy_for(incident.service)
    if policy is None:
        return False
    state, pages = planner.start(policy, now=now)
    snapshot = EscalationRecord(
        incident_id=incident.id,
        policy_name=policy.name,
        policy=policy_to_dict(policy),
        status=state.status.value,
        cycle=state.cycle,
        first_cycle=state.first_cycle,
        step=state.step,
        next_at=state.next_at,
        started_at=state.started_at,
    )
    tx.escalations.add(snapshot, now=now)
    append(
        tx,
        incident.id,
        entry=Entry(
            "escalation.started",
            {"policy": policy.name, "steps": len(policy.steps), "repeat": policy.repeat},
        ),
        actor=ACTOR,
        at=now,
    )
    queue_pages(tx, incident, pages, oncall=config.oncall, now=now)
    return True


def on_transition(tx: Tx, before: Incident, after: Incident, *, actor: str, now: datetime) -> None:
    """Follow a status change: ack stops paging, resolve cancels it, reopen starts it again."""
    if before.status is after.status:
        return
    record = tx.escalations.find_for_update(after.id)
    if after.status is Status.TRIGGERED and record is not None:
        tx.escalations.save(replace(record, status=STARTING, next_at=now), now=now)
        return
    stopped = STOPPED_BY.get(after.status)
    if stopped is None:
        return
    if record is not None:
        state = _state(record)
        if stopped == "resolved":
            state = planner.resolve(state, now=now)
        elif state.status is EscalationStatus.ACTIVE:
            state = planner.acknowledge(state, now=now)
        tx.escalations.save(_record(record, state), now=now)
    tx.notifications.cancel_waiting(after.id, kinds=(MessageKind.TRIGGER,))
    if after.status is not Status.MITIGATED or before.status is Status.TRIGGERED:
        kind = MessageKind.RESOLVE if stopped == "resolved" else MessageKind.ACKNOWLEDGE
        mirror_change(tx, after, kind=kind, actor=actor, now=now)


def advance_escalations(uow: UnitOfWork, *, config: Configuration, now: datetime) -> int:
    """Page every escalation step that is due; return how many steps were paged."""
    with uow.read() as tx:
        due = tx.escalations.due(now=now, limit=BATCH)
    paged = 0
    for incident_id in due:
        with uow.write() as tx:
            paged += _advance_one(tx, incident_id, oncall=config.oncall, now=now)
    return paged


def _advance_one(tx: Tx, incident_id: int, *, oncall: OnCall, now: datetime) -> int:
    incident = tx.incidents.get_for_update(incident_id)
    record = tx.escalations.find_for_update(incident_id)
    if record is None or record.next_at is None or record.next_at > now:
        return 0  # another engine got here first
    state, pages = _step(record, now=now)
    tx.escalations.save(_record(record, state), now=now)
    if state.status is EscalationStatus.EXHAUSTED:
        append(
            tx,
            incident_id,
            entry=Entry(
                "escalation.exhausted",
                {
                    "policy": record.policy_name,
                    "passes": state.cycle - state.first_cycle + 1,
                },
            ),
            actor=ACTOR,
            at=now,
        )
        return 0
    if not pages:
        return 0
    queue_pages(tx, incident, pages, oncall=oncall, now=now)
    return 1


def _step(record: EscalationRecord, *, now: datetime) -> tuple[Escalation, list[Page]]:
    if record.status != STARTING:
        return planner.advance(_state(record), now=now)
    # Reopened: run the snapshot again from step 1, in the next cycle.
    stopped = replace(_state(record), status=EscalationStatus.RESOLVED)
    return planner.reopen(stopped, now=now)


def _state(record: EscalationRecord) -> Escalation:
    status = (
        EscalationStatus.ACTIVE if record.status == STARTING else EscalationStatus(record.status)
    )
    return Escalation(
        policy=policy_from_dict(record.policy),
        status=status,
        cycle=record.cycle,
        step=record.step,
        next_at=record.next_at,
        started_at=record.started_at,
        first_cycle=record.first_cycle,
    )


def _record(record: EscalationRecord, state: Escalation) -> EscalationRecord:
    return replace(
        record,
        status=state.status.value,
        cycle=state.cycle,
        first_cycle=state.first_cycle,
        step=state.step,
        next_at=state.next_at,
        started_at=state.started_at,
    )
