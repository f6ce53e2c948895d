"""Escalation policies: ordered steps of targets, how long each step waits, how often to repeat.

A policy is snapshotted onto an incident when it opens (as the dict of `policy_to_dict`), so
later edits to the service's policy never change an escalation already running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.validation import SLUG

SNAPSHOT_VERSION = 1
MAX_STEPS = 20
MAX_TARGETS = 20
MAX_REPEAT = 9
MIN_STEP_DELAY = timedelta(minutes=1)
MAX_STEP_DELAY = timedelta(hours=24)

T = TypeVar("T")


class TargetKind(StrEnum):
    """What a step pages: whoever is on call for a schedule, a user, or a notification channel."""

    SCHEDULE = "schedule"
    USER = "user"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class Target:
    """One recipient of a step, by kind and slug name."""

    kind: TargetKind
    name: str


@dataclass(frozen=True, slots=True)
class Step:
    """Page every target at once, then wait `delay` before the next step (or the next pass)."""

    targets: tuple[Target, ...]
    delay: timedelta


@dataclass(frozen=True, slots=True)
class Policy:
    """Steps run in order; after the first pass the whole policy runs `repeat` more times."""

    name: str
    steps: tuple[Step, ...]
    repeat: int = 0


def make_policy(*, name: str, steps: Sequence[Step], repeat: int = 0) -> Policy:
    """Validate a policy, reporting every bad field at once (Invalid), and return it."""
    errors: list[FieldError] = []
    if not SLUG.match(name):
        errors.append(
            FieldError("name", f"{name!r} is not a slug (lowercase letters, digits, '-')")
        )
    if not steps:
        errors.append(FieldError("steps", "a policy needs at least one step"))
    elif len(steps) > MAX_STEPS:
        errors.append(FieldError("steps", f"at most {MAX_STEPS} steps"))
    clean_steps = tuple(
        _check_step(errors, step, where=f"steps[{index}]", last=index == len(steps) - 1)
        for index, step in enumerate(steps)
    )
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
        errors.append(FieldError("repeat", f"must be a whole number from 0 to {MAX_REPEAT}"))
    if errors:
        raise Invalid(errors)
    return Policy(name, clean_steps, repeat)


def _check_step(errors: list[FieldError], step: Step, *, where: str, last: bool) -> Step:
    if not step.targets:
        errors.append(FieldError(f"{where}.targets", "a step needs at least one target"))
    elif len(step.targets) > MAX_TARGETS:
        errors.append(FieldError(f"{where}.targets", f"at most {MAX_TARGETS} targets"))
    targets: list[Target] = []
    for index, target in enumerate(step.targets):
        clean = _check_target(errors, target, where=f"{where}.targets[{index}]")
        # A target twice in one step would page twice under the same idempotency key.
        if clean in targets:
            errors.append(FieldError(f"{where}.targets[{index}]", "repeats an earlier target"))
        targets.append(clean)
    problem = _delay_problem(step.delay, last=last)
    if problem:
        errors.append(FieldError(f"{where}.delay", problem))
    return Step(tuple(targets), step.delay)


def _check_target(errors: list[FieldError], target: Target, *, where: str) -> Target:
    kind = target.kind
    try:
        kind = TargetKind(target.kind)
    except ValueError:
        errors.append(FieldError(f"{where}.kind", f"must be one of {', '.join(TargetKind)}"))
    if not isinstance(target.name, str) or not SLUG.match(target.name):
        errors.append(FieldError(f"{where}.name", f"{target.name!r} is not a slug"))
    return Target(kind, target.name)


def _delay_problem(delay: timedelta, *, last: bool) -> str | None:
    if not isinstance(delay, timedelta):
        return "must be a duration"
    # The last step's delay only spaces the passes (or ends the escalation), so it may be 0.
    floor = timedelta(0) if last else MIN_STEP_DELAY
    if not floor <= delay <= MAX_STEP_DELAY:
        return f"must be between {_minutes(floor)} and {_minutes(MAX_STEP_DELAY)} minutes"
    if delay % timedelta(seconds=1):
        return "must be a whole number of seconds"
    return None


def _minutes(delay: timedelta) -> int:
    return int(delay / timedelta(minutes=1))


def policy_to_dict(policy: Policy) -> dict[str, object]:
    """Return the JSON-ready snapshot of `policy`; `policy_from_dict` reads it back exactly."""
    return {
        "version": SNAPSHOT_VERSION,
        "name": policy.name,
        "repeat": policy.repeat,
        "steps": [
            {
                "delay_seconds": int(step.delay.total_seconds()),
                "targets": [{"kind": str(t.kind), "name": t.name} for t in step.targets],
            }
            for step in policy.steps
        ],
    }


def policy_from_dict(data: Mapping[str, object]) -> Policy:
    """Read a snapshot written by `policy_to_dict`, validating it again (Invalid if malformed)."""
    if data.get("version") != SNAPSHOT_VERSION:
        detail = f"unsupported snapshot version {data.get('version')!r}"
        raise Invalid([FieldError("version", detail)])
    errors: list[FieldError] = []
    name = _field(errors, data, "name", str, where="")
    repeat = _field(errors, data, "repeat", int, where="")
    raw_steps = _field(errors, data, "steps", list, where="")
    steps = [
        _read_step(errors, raw, where=f"steps[{index}]")
        for index, raw in enumerate(raw_steps or [])
    ]
    if errors:
        raise Invalid(errors)
    return make_policy(name=name or "", steps=steps, repeat=repeat or 0)


def _read_step(errors: list[FieldError], raw: object, *, where: str) -> Step:
    if not isinstance(raw, Mapping):
        errors.append(FieldError(where, "must be an object"))
        return Step((), timedelta(0))
    seconds = _field(errors, raw, "delay_seconds", int, where=where)
    raw_targets = _field(errors, raw, "targets", list, where=where) or []
    targets = tuple(
        _read_target(errors, item, where=f"{where}.targets[{index}]")
        for index, item in enumerate(raw_targets)
    )
    return Step(targets, timedelta(seconds=seconds or 0))


def _read_target(errors: list[FieldError], raw: object, *, where: str) -> Target:
    if not isinstance(raw, Mapping):
        errors.append(FieldError(where, "must be an object"))
        return Target(TargetKind.USER, "")
    kind = _field(errors, raw, "kind", str, where=where) or ""
    name = _field(errors, raw, "name", str, where=where) or ""
    return Target(kind, name)  # type: ignore[arg-type]  # make_policy checks the kind


def _field(
    errors: list[FieldError], raw: Mapping[str, object], key: str, kind: type[T], *, where: str
) -> T | None:
    value = raw.get(key)
    # bool is an int subclass; a snapshot never holds one where a number belongs.
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    label = f"{where}.{key}" if where else key
    errors.append(FieldError(label, f"must be a {kind.__name__}"))
    return None
