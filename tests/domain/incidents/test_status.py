"""The lifecycle's legal and illegal moves."""

from __future__ import annotations

import pytest

from fireline.domain.errors import Conflict
from fireline.domain.incidents.status import Status, Transition, next_status


@pytest.mark.parametrize(
    ("current", "action", "target"),
    [
        (Status.TRIGGERED, Transition.ACKNOWLEDGE, Status.ACKNOWLEDGED),
        (Status.TRIGGERED, Transition.MITIGATE, Status.MITIGATED),
        (Status.TRIGGERED, Transition.RESOLVE, Status.RESOLVED),
        (Status.ACKNOWLEDGED, Transition.MITIGATE, Status.MITIGATED),
        (Status.ACKNOWLEDGED, Transition.RESOLVE, Status.RESOLVED),
        (Status.MITIGATED, Transition.RESOLVE, Status.RESOLVED),
        (Status.RESOLVED, Transition.REOPEN, Status.TRIGGERED),
    ],
)
def test_forward_moves_and_reopen_are_legal(
    current: Status, action: Transition, target: Status
) -> None:
    assert next_status(current, action) is target


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (Status.ACKNOWLEDGED, Transition.ACKNOWLEDGE),
        (Status.MITIGATED, Transition.ACKNOWLEDGE),
        (Status.RESOLVED, Transition.ACKNOWLEDGE),
        (Status.MITIGATED, Transition.MITIGATE),
        (Status.RESOLVED, Transition.MITIGATE),
        (Status.RESOLVED, Transition.RESOLVE),
        (Status.TRIGGERED, Transition.REOPEN),
        (Status.ACKNOWLEDGED, Transition.REOPEN),
        (Status.MITIGATED, Transition.REOPEN),
    ],
)
def test_backward_and_repeated_moves_conflict(current: Status, action: Transition) -> None:
    with pytest.raises(Conflict, match=f"cannot {action.value}"):
        next_status(current, action)
