"""Converting the on-call sections of a valid file into domain objects, checking references.

Each domain constructor (`make_user`, `make_layer`, `make_policy`, ...) checks its own fields;
here their errors are placed at the YAML path they came from, and every reference between
sections (a policy naming a schedule, a layer naming a user, a service naming a policy) must
name something declared. Secrets written as `${ENV_VAR}` are read from the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, TypeVar

from fireline.domain.configuration import OnCall, Paging
from fireline.domain.errors import Invalid
from fireline.domain.escalation.policy import Policy, Step, Target, TargetKind, make_policy
from fireline.domain.notify.channel import Channel
from fireline.domain.notify.destination import ChannelKind
from fireline.domain.oncall.restriction import Restriction
from fireline.domain.oncall.rotation import Layer, make_layer
from fireline.domain.oncall.schedule import Schedule, make_schedule
from fireline.domain.user import ContactMethod, NotificationRule, User, make_user
from fireline.services.configfile.models import ConfigFile, FieldProblem
from fireline.services.configfile.paging_models import (
    DAYS,
    ENV_REFERENCE,
    ROTATION,
    ChannelSpec,
    LayerSpec,
    PolicySpec,
    ScheduleSpec,
    UserSpec,
    parse_time,
)
from fireline.services.configfile.source import Loc

T = TypeVar("T")
SECRETS: Mapping[str, frozenset[str]] = {
    "pagerduty": frozenset({"routing_key", "webhook_secrets"}),
    "opsgenie": frozenset({"api_key"}),
    "slack": frozenset({"webhook_url"}),
    "email": frozenset({"password"}),
    "webhook": frozenset({"secret"}),
    "sms": frozenset({"auth_token"}),
    "voice": frozenset({"auth_token"}),
}
UNITS = {"h": "hours", "d": "days", "w": "weeks"}
FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def convert_oncall(
    model: ConfigFile, *, environ: Mapping[str, str] | None = None
) -> tuple[OnCall | None, list[FieldProblem]]:
    """Build the on-call configuration, or return every problem found."""
    problems: list[FieldProblem] = []
    env = os.environ if environ is None else environ
    channels = [_channel(spec, i, env, problems) for i, spec in enumerate(model.channels)]
    users = [
        _made(("users", i), problems, partial(_user, spec)) for i, spec in enumerate(model.users)
    ]
    schedules = [_schedule(spec, i, problems) for i, spec in enumerate(model.schedules)]
    policies = [
        _made(("escalation_policies", i), problems, partial(_policy, spec))
        for i, spec in enumerate(model.escalation_policies)
    ]
    problems += _references(model)
    if problems:
        return None, problems
    oncall = OnCall(
        channels=tuple(c for c in channels if c is not None),
        users=tuple(u for u in users if u is not None),
        schedules=tuple(s for s in schedules if s is not None),
        policies=tuple(p for p in policies if p is not None),
        service_policies={
            s.name: s.escalation_policy for s in model.services if s.escalation_policy
        },
        paging=Paging(
            providers={ChannelKind(k): v for k, v in model.paging.providers.items()},
            fallback_channel=model.paging.fallback_channel,
            incident_url=model.paging.incident_url,
        ),
    )
    return oncall, []


def _made(where: Loc, problems: list[FieldProblem], make: Callable[[], T]) -> T | None:
    try:
        return make()
    except Invalid as invalid:
        problems += [FieldProblem((*where, *_loc(e.field)), e.message) for e in invalid.errors]
        return None


def _loc(field: str) -> Loc:
    """Split a domain field path such as `steps[0].targets[1]` into a location."""
    return tuple(int(index) if index else name for name, index in FIELD_PART.findall(field))


def _channel(
    spec: ChannelSpec, index: int, env: Mapping[str, str], problems: list[FieldProblem]
) -> Channel | None:
    """Settings as strings (lists joined by commas), `${ENV_VAR}` values read from `env`."""
    settings: dict[str, str] = {}
    dumped: dict[str, Any] = spec.model_dump(by_alias=True, exclude={"name", "kind"})
    for key, value in dumped.items():
        if value is None or value == []:
            continue
        items = value if isinstance(value, list) else [value]
        expanded = [_expand(str(item), env, ("channels", index, key), problems) for item in items]
        settings[key] = ",".join(expanded)
    return Channel(spec.name, ChannelKind(spec.kind), settings, SECRETS.get(spec.kind, frozenset()))


def _expand(text: str, env: Mapping[str, str], loc: Loc, problems: list[FieldProblem]) -> str:
    found = ENV_REFERENCE.match(text)
    if found is None:
        return text
    if found.group(1) not in env:
        problems.append(FieldProblem(loc, f"environment variable {found.group(1)} is not set"))
        return ""
    return env[found.group(1)]


def _user(spec: UserSpec) -> User:
    return make_user(
        name=spec.name,
        full_name=spec.full_name,
        email=spec.email,
        time_zone=spec.time_zone,
        contact_methods=[
            ContactMethod(m.name, ChannelKind(m.kind), m.address) for m in spec.contact_methods
        ],
        notification_rules=[
            NotificationRule(r.contact_method, r.after) for r in spec.notification_rules
        ],
    )


def _schedule(spec: ScheduleSpec, index: int, problems: list[FieldProblem]) -> Schedule | None:
    where: Loc = ("schedules", index)
    layers = [
        _made((*where, "layers", i), problems, partial(_layer, layer, spec.time_zone))
        for i, layer in enumerate(spec.layers)
    ]
    if any(layer is None for layer in layers):
        return None
    return _made(
        where,
        problems,
        lambda: make_schedule(
            spec.name, time_zone=spec.time_zone, layers=[x for x in layers if x is not None]
        ),
    )


def _layer(spec: LayerSpec, zone: str) -> Layer:
    found = ROTATION.match(spec.rotation)
    assert found is not None  # checked by the model
    return make_layer(
        spec.name,
        users=spec.users,
        rotation_length=int(found.group(1)),
        rotation_unit=UNITS[found.group(2)],
        handoff=parse_time(spec.handoff),
        time_zone=spec.time_zone or zone,
        start_at=spec.start,
        restrictions=[
            Restriction(
                days=frozenset(DAYS.index(d) for d in r.days),
                start=parse_time(r.start),
                end=parse_time(r.end),
            )
            for r in spec.restrictions
        ],
    )


def _policy(spec: PolicySpec) -> Policy:
    steps = [
        Step(
            targets=tuple(_target(text) for text in step.targets),
            delay=step.delay,
        )
        for step in spec.steps
    ]
    return make_policy(name=spec.name, steps=steps, repeat=spec.repeat)


def _target(text: str) -> Target:
    kind, name = text.split(":", 1)
    return Target(TargetKind(kind), name)


def _references(model: ConfigFile) -> list[FieldProblem]:
    declared = {
        "user": {u.name for u in model.users},
        "schedule": {s.name for s in model.schedules},
        "channel": {c.name for c in model.channels},
        "policy": {p.name for p in model.escalation_policies},
    }
    found: list[FieldProblem] = []
    for loc, kind, name in _named(model):
        if name not in declared[kind]:
            known = ", ".join(sorted(declared[kind])) or "none"
            found.append(
                FieldProblem(loc, f"{name!r} is not a declared {kind} (declared: {known})")
            )
    return found + _paging_references(model, declared["channel"])


def _named(model: ConfigFile) -> Iterator[tuple[Loc, str, str]]:
    """Every reference the file makes: where, to what kind of thing, and its name."""
    for i, service in enumerate(model.services):
        if service.escalation_policy:
            yield ("services", i, "escalation_policy"), "policy", service.escalation_policy
    for i, schedule in enumerate(model.schedules):
        for j, layer in enumerate(schedule.layers):
            for k, user in enumerate(layer.users):
                yield ("schedules", i, "layers", j, "users", k), "user", user
    for i, policy in enumerate(model.escalation_policies):
        for j, step in enumerate(policy.steps):
            for k, text in enumerate(step.targets):
                kind, name = text.split(":", 1)
                yield ("escalation_policies", i, "steps", j, "targets", k), kind, name


def _paging_references(model: ConfigFile, channels: set[str]) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    kinds = {c.name: c.kind for c in model.channels}
    for kind, name in model.paging.providers.items():
        if kinds.get(name) != kind:
            found.append(
                FieldProblem(
                    ("paging", "providers", kind),
                    f"must name a declared channel of kind {kind}",
                )
            )
    fallback = model.paging.fallback_channel
    if fallback is not None and fallback not in channels:
        found.append(
            FieldProblem(("paging", "fallback_channel"), f"{fallback!r} is not a declared channel")
        )
    return found
