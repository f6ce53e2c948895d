"""Acknowledgements flowing back: a PagerDuty webhook acks or resolves the Fireline incident.

The event's incident key is the dedup key Fireline gave the trigger, which is the incident's
ref. A change that the incident already reflects (an ack of an acknowledged incident, an echo
of our own mirror) is not an error: it is answered and recorded as ignored, so PagerDuty does
not retry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fireline.domain.errors import Conflict, NotFound
from fireline.domain.incidents.ref import parse_ref
from fireline.domain.incidents.status import Transition
from fireline.integrations.pagerduty.inbound import InboundEvent
from fireline.services.incidents import transition_incident
from fireline.store.uow import UnitOfWork

ACTIONS = {
    "incident.acknowledged": Transition.ACKNOWLEDGE,
    "incident.resolved": Transition.RESOLVE,
    "incident.reopened": Transition.REOPEN,
}


@dataclass(frozen=True, slots=True)
class InboundResult:
    """What the event did: the incident it changed (ref) or why it was ignored."""

    applied: str | None = None
    ignored: str | None = None


def apply_pagerduty_event(uow: UnitOfWork, event: InboundEvent, *, now: datetime) -> InboundResult:
    """Ack, resolve or reopen the incident the event names; ignore what cannot apply."""
    action = ACTIONS.get(event.event_type)
    if action is None:
        return InboundResult(ignored=f"{event.event_type} changes nothing in Fireline")
    if not event.incident_key:
        return InboundResult(ignored="the PagerDuty incident has no Fireline incident key")
    try:
        incident_id = parse_ref(event.incident_key)
        change = transition_incident(
            uow,
            incident_id=incident_id,
            action=action,
            actor=f"pagerduty:{event.agent or 'unknown'}"[:64],
            now=now,
            reason=f"{event.event_type} in PagerDuty ({event.incident_id})",
        )
    except NotFound:
        return InboundResult(ignored=f"no Fireline incident {event.incident_key!r}")
    except Conflict as conflict:
        return InboundResult(ignored=conflict.detail)
    return InboundResult(applied=f"INC-{change.incident.id}")
