"""The escalation state machine: given a policy snapshot, a state and `now`, what to page next.

Every function returns a new `Escalation` and the `Page`s to send; none reads a clock or
touches storage. The engine stores the state, calls `advance` once `now >= next_at`, and
queues each page under its idempotency key (the incident's id plus `idempotency_key_part`).

Catch-up: each step is paged, in order, none skipped, and one step per `advance` call; the
next step falls due `delay` after the step was *actually* paged (`now + delay`), not after
it was scheduled. After engine downtime the overdue step is paged at once and every later
step still gives its predecessor's targets their full delay to acknowledge, so downtime
postpones the escalation instead of paging every tier in one burst. This is GoAlert's
behaviour (`engine/escalationmanager`: one step per pass, `next_escalation = now() + delay`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from fireline.domain.errors import Conflict
from fireline.domain.escalation.policy import Policy, Target


class EscalationStatus(StrEnum):
    """Where an escalation stands."""

    ACTIVE = "active"  # paging, with a next step (or the end) due at next_at
    ACKNOWLEDGED = "acknowledged"  # someone took it; nothing more is paged
    RESOLVED = "resolved"  # the incident is over
    EXHAUSTED = "exhausted"  # every step of every pass paged, the last delay passed, no ack


@dataclass(frozen=True, slots=True)
class Page:
    """Page `target` for step `step` of pass `cycle`; the key part is stable for that triple."""

    cycle: int
    step: int
    target: Target
    idempotency_key_part: str


@dataclass(frozen=True, slots=True)
class Escalation:
    """The state of one incident's escalation.

    `cycle` and `step` name the step paged last; cycles count up across reopens, and
    `first_cycle` is where the current run began, so `cycle - first_cycle` passes are done.
    `next_at` is when the following step (or exhaustion) is due; None unless active.
    """

    policy: Policy
    status: EscalationStatus
    cycle: int
    step: int
    next_at: datetime | None
    started_at: datetime
    first_cycle: int = 0


def start(policy: Policy, *, now: datetime) -> tuple[Escalation, list[Page]]:
    """Begin escalating under `policy`: page step 0 now."""
    return _run(policy, cycle=0, now=now)


def advance(escalation: Escalation, *, now: datetime) -> tuple[Escalation, list[Page]]:
    """Page the next step if it is due (active and `now >= next_at`); else change nothing.

    After the last step of the last pass, the escalation becomes exhausted and pages nobody.
    """
    _check_now(now)
    due_at = escalation.next_at
    if escalation.status is not EscalationStatus.ACTIVE or due_at is None or now < due_at:
        return escalation, []
    policy = escalation.policy
    cycle, step = escalation.cycle, escalation.step + 1
    if step == len(policy.steps):
        if escalation.cycle - escalation.first_cycle >= policy.repeat:
            return replace(escalation, status=EscalationStatus.EXHAUSTED, next_at=None), []
        cycle, step = cycle + 1, 0
    moved = replace(escalation, cycle=cycle, step=step, next_at=now + policy.steps[step].delay)
    return moved, pages_for(policy, cycle=cycle, step=step)


def acknowledge(escalation: Escalation, *, now: datetime) -> Escalation:
    """Stop paging because someone took the incident (Conflict if it is already resolved)."""
    _check_now(now)
    if escalation.status is EscalationStatus.RESOLVED:
        raise Conflict("a resolved escalation cannot be acknowledged")
    return replace(escalation, status=EscalationStatus.ACKNOWLEDGED, next_at=None)


def resolve(escalation: Escalation, *, now: datetime) -> Escalation:
    """Stop paging for good because the incident is resolved (idempotent)."""
    _check_now(now)
    return replace(escalation, status=EscalationStatus.RESOLVED, next_at=None)


def reopen(escalation: Escalation, *, now: datetime) -> tuple[Escalation, list[Page]]:
    """Escalate again from step 0 of the snapshot, in the next cycle, paging step 0 now.

    Cycle numbers continue from the earlier run, so the new pages' keys are new.
    Conflict if the escalation is still active (there is nothing to reopen).
    """
    if escalation.status is EscalationStatus.ACTIVE:
        raise Conflict("an active escalation cannot be reopened")
    return _run(escalation.policy, cycle=escalation.cycle + 1, now=now)


def pages_for(policy: Policy, *, cycle: int, step: int) -> list[Page]:
    """Return the pages of step `step` in pass `cycle`, one per target, with stable keys."""
    return [
        Page(cycle, step, target, f"c{cycle}s{step}:{target.kind}:{target.name}")
        for target in policy.steps[step].targets
    ]


def _run(policy: Policy, *, cycle: int, now: datetime) -> tuple[Escalation, list[Page]]:
    _check_now(now)
    escalation = Escalation(
        policy=policy,
        status=EscalationStatus.ACTIVE,
        cycle=cycle,
        step=0,
        next_at=now + policy.steps[0].delay,
        started_at=now,
        first_cycle=cycle,
    )
    return escalation, pages_for(policy, cycle=cycle, step=0)


def _check_now(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise ValueError("now must be an aware UTC datetime")
