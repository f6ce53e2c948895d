"""The incident lifecycle: triggered → acknowledged → mitigated → resolved, and reopen."""

from __future__ import annotations

from enum import StrEnum

from fireline.domain.errors import Conflict


class Status(StrEnum):
    """Where an incident stands in its lifecycle."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"


class Transition(StrEnum):
    """A lifecycle action a responder (or the system) takes."""

    ACKNOWLEDGE = "acknowledge"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    REOPEN = "reopen"


_TARGET: dict[Transition, Status] = {
    Transition.ACKNOWLEDGE: Status.ACKNOWLEDGED,
    Transition.MITIGATE: Status.MITIGATED,
    Transition.RESOLVE: Status.RESOLVED,
    Transition.REOPEN: Status.TRIGGERED,
}

# Forward moves may skip a stage (a false alarm is resolved straight from triggered);
# moving backwards is only possible by reopening a resolved incident.
_ALLOWED_FROM: dict[Transition, frozenset[Status]] = {
    Transition.ACKNOWLEDGE: frozenset({Status.TRIGGERED}),
    Transition.MITIGATE: frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED}),
    Transition.RESOLVE: frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED}),
    Transition.REOPEN: frozenset({Status.RESOLVED}),
}


def next_status(current: Status, transition: Transition) -> Status:
    """Return the status `transition` leads to from `current`, or raise Conflict if illegal."""
    if current not in _ALLOWED_FROM[transition]:
        allowed = ", ".join(sorted(s.value for s in _ALLOWED_FROM[transition]))
        raise Conflict(
            f"cannot {transition.value} an incident that is {current.value} "
            f"(allowed from: {allowed})"
        )
    return _TARGET[transition]
