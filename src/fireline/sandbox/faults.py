"""The four faults of the sandbox, and the admin action that heals each.

A fault changes the platform's parameters when injected and stays until the matching
mitigation is done through the admin API (or `POST /admin/faults/clear`, for tests). Nothing
heals by itself, so a runbook that does the right thing really is what ends the incident.

- `queue-saturation`: the workers drop to 1, and clients, timing out, retry in a storm that
  multiplies arrivals by 10. Healed by `POST /admin/workers {"count": N}` with N >= 8: the
  storm stops once capacity is back. The backlog then drains at about N - 5 jobs a second, so
  scale to 30 or more to drain it in minutes.
- `upload-failures`: uploads fail with probability 0.3 (the uploads API's storage connections
  are wedged). Healed by `POST /admin/intake/pause` then `POST /admin/intake/resume`: the
  uploads API restarts with fresh connections. Failed uploads never became jobs; clients
  upload them again.
- `token-expiry`: the `extraction-worker` token expires in 10 minutes; after that, every job a
  worker takes fails. Healed by `POST /admin/tokens/extraction-worker/rotate`; then
  `POST /admin/jobs/retry-failed` recovers the jobs that failed meanwhile.
- `extraction-errors`: extractions fail with probability 0.4 (a poison document cycles through
  the dead letters and crashes the workers with the jobs they hold). Healed by
  `POST /admin/jobs/retry-failed` (the retry path quarantines the poison document and queues
  the rest again) or `POST /admin/dead-letters/drain` (discards them all).

`POST /admin/faults/clear` ends every fault and undoes its effect without a mitigation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from fireline.sandbox.model import (
    BASE_EXTRACTION_ERROR,
    BASE_UPLOAD_ERROR,
    HEALTHY_WORKERS,
    ActiveFault,
    Platform,
    UnknownName,
)


class FaultName(StrEnum):
    """The faults there are."""

    QUEUE_SATURATION = "queue-saturation"
    UPLOAD_FAILURES = "upload-failures"
    TOKEN_EXPIRY = "token-expiry"
    EXTRACTION_ERRORS = "extraction-errors"


STORM_MULTIPLIER = 10.0
FAULTY_UPLOAD_ERROR = 0.3
FAULTY_EXTRACTION_ERROR = 0.4
TOKEN_GRACE = timedelta(minutes=10)
EXPIRING_TOKEN = "extraction-worker"


class Action(StrEnum):
    """The admin actions a fault may be healed by."""

    SCALE_WORKERS = "scale-workers"
    PAUSE_INTAKE = "pause-intake"
    RESUME_INTAKE = "resume-intake"
    ROTATE_TOKEN = "rotate-token"
    RETRY_FAILED = "retry-failed"
    DRAIN_DEAD_LETTERS = "drain-dead-letters"


@dataclass(frozen=True, slots=True)
class Done:
    """An admin action just done: which, and on what (the worker count, the token name)."""

    action: Action
    target: str = ""


@dataclass(frozen=True, slots=True)
class FaultKind:
    """One fault: how it breaks the platform, what heals it, and how to undo it."""

    name: str
    effect: str
    healed_by: str
    start: Callable[[Platform], None]
    heals: Callable[[Platform, ActiveFault, Done], bool]
    undo: Callable[[Platform, ActiveFault], None]


def _saturate(platform: Platform) -> None:
    platform.workers = 1
    platform.arrival_multiplier = STORM_MULTIPLIER


def _capacity_back(platform: Platform, _: ActiveFault, done: Done) -> bool:
    return done.action is Action.SCALE_WORKERS and platform.workers >= HEALTHY_WORKERS


def _end_storm(platform: Platform, fault: ActiveFault) -> None:
    platform.arrival_multiplier = 1.0
    if platform.workers == 1:  # still as the fault left them: cleared, not mitigated
        platform.workers = fault.workers_before


def _break_uploads(platform: Platform) -> None:
    platform.upload_error_probability = FAULTY_UPLOAD_ERROR


def _intake_restarted(_: Platform, fault: ActiveFault, done: Done) -> bool:
    if done.action is Action.PAUSE_INTAKE:
        fault.intake_paused_since = True
    return done.action is Action.RESUME_INTAKE and fault.intake_paused_since


def _fix_uploads(platform: Platform, _: ActiveFault) -> None:
    platform.upload_error_probability = BASE_UPLOAD_ERROR


def _expire_soon(platform: Platform) -> None:
    platform.tokens[EXPIRING_TOKEN].expires_at = platform.simulated_at + TOKEN_GRACE


def _token_rotated(_: Platform, __: ActiveFault, done: Done) -> bool:
    return done.action is Action.ROTATE_TOKEN and done.target == EXPIRING_TOKEN


def _rotate(platform: Platform, _: ActiveFault) -> None:
    platform.rotate_token(EXPIRING_TOKEN)


def _poison(platform: Platform) -> None:
    platform.extraction_error_probability = FAULTY_EXTRACTION_ERROR


def _poison_removed(_: Platform, __: ActiveFault, done: Done) -> bool:
    return done.action in (Action.RETRY_FAILED, Action.DRAIN_DEAD_LETTERS)


def _unpoison(platform: Platform, _: ActiveFault) -> None:
    platform.extraction_error_probability = BASE_EXTRACTION_ERROR


FAULTS: dict[str, FaultKind] = {
    str(kind.name): kind
    for kind in (
        FaultKind(
            FaultName.QUEUE_SATURATION,
            "workers drop to 1 and a retry storm multiplies arrivals by 10",
            f"POST /admin/workers with a count of at least {HEALTHY_WORKERS}",
            _saturate,
            _capacity_back,
            _end_storm,
        ),
        FaultKind(
            FaultName.UPLOAD_FAILURES,
            f"uploads fail with probability {FAULTY_UPLOAD_ERROR}",
            "POST /admin/intake/pause, then POST /admin/intake/resume",
            _break_uploads,
            _intake_restarted,
            _fix_uploads,
        ),
        FaultKind(
            FaultName.TOKEN_EXPIRY,
            f"the {EXPIRING_TOKEN} token expires in 10 minutes; then every extraction fails",
            f"POST /admin/tokens/{EXPIRING_TOKEN}/rotate (then retry the failed jobs)",
            _expire_soon,
            _token_rotated,
            _rotate,
        ),
        FaultKind(
            FaultName.EXTRACTION_ERRORS,
            f"extractions fail with probability {FAULTY_EXTRACTION_ERROR}",
            "POST /admin/jobs/retry-failed or POST /admin/dead-letters/drain",
            _poison,
            _poison_removed,
            _unpoison,
        ),
    )
}


def kind_of(name: str) -> FaultKind:
    """Return the fault called `name`, or raise UnknownName listing the faults there are."""
    kind = FAULTS.get(name)
    if kind is None:
        raise UnknownName(f"no fault {name!r}; faults are {', '.join(FAULTS)}")
    return kind


def inject(platform: Platform, name: str) -> bool:
    """Start fault `name` now; return False when it was already active (nothing changes)."""
    kind = kind_of(name)
    if name in platform.faults:
        return False
    platform.faults[name] = ActiveFault(
        name, platform.simulated_at, workers_before=platform.workers
    )
    kind.start(platform)
    return True


def after(platform: Platform, done: Done) -> list[str]:
    """Heal the active faults that `done` mitigates; return their names."""
    healed = [
        name
        for name, fault in list(platform.faults.items())
        if FAULTS[name].heals(platform, fault, done)
    ]
    for name in healed:
        FAULTS[name].undo(platform, platform.faults.pop(name))
    return healed


def clear(platform: Platform) -> list[str]:
    """End every active fault, undoing its effect (for tests and demos); return their names."""
    names = list(platform.faults)
    for name in names:
        FAULTS[name].undo(platform, platform.faults.pop(name))
    return names
