"""Runbooks as data: a runbook, its steps, their actions and the guards each step carries."""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from fireline.domain.errors import NotFound
from fireline.domain.labels import Labels, Matcher, matches_all

DEFAULT_STEP_TIMEOUT = timedelta(minutes=5)
DEFAULT_POLL_INTERVAL = timedelta(seconds=10)
APPROVERS = ("commander",)

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_COMPARISON = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*([-+]?[0-9][0-9_.eE+-]*)\s*$")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class ActionKind(StrEnum):
    """What a step does when it runs."""

    HTTP = "http"
    PROMETHEUS_QUERY = "prometheus_query"
    WAIT_UNTIL = "wait_until"
    SHELL = "shell"
    MANUAL = "manual"
    NOTIFY = "notify"


# Which params of each kind are Jinja templates (every string inside them, at any depth).
TEMPLATED: dict[ActionKind, tuple[str, ...]] = {
    ActionKind.HTTP: ("url", "headers", "json"),
    ActionKind.PROMETHEUS_QUERY: ("query",),
    ActionKind.WAIT_UNTIL: ("query",),
    ActionKind.SHELL: ("command",),
    ActionKind.MANUAL: ("instructions",),
    ActionKind.NOTIFY: ("target", "message"),
}


@dataclass(frozen=True, slots=True)
class Action:
    """One action and its validated params (see `parser` for what each kind takes).

    Params per kind, after validation and defaults:
    http {method, url, headers: dict, json: Any | None, expect_status: tuple[int, ...]} (an
    empty expect_status means any 2xx);
    prometheus_query {query, condition}; wait_until {query, condition, timeout, interval};
    shell {command: tuple[str, ...]}; manual {instructions}; notify {target, message}.
    """

    kind: ActionKind
    params: Mapping[str, Any] = field(hash=False)  # equal actions still hash alike, by kind

    def map_templates(self, fn: Callable[[str, str], str]) -> dict[str, Any]:
        """Return the params with every template string replaced by `fn(field, source)`."""
        templated = TEMPLATED[self.kind]
        return {
            name: _map_strings(value, field=name, fn=fn) if name in templated else value
            for name, value in self.params.items()
        }


def _map_strings(value: Any, *, field: str, fn: Callable[[str, str], str]) -> Any:
    if isinstance(value, str):
        return fn(field, value)
    if isinstance(value, list | tuple):
        items = [_map_strings(v, field=f"{field}[{i}]", fn=fn) for i, v in enumerate(value)]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, Mapping):
        return {k: _map_strings(v, field=f"{field}.{k}", fn=fn) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Condition:
    """A test on a query's first sample: `> 0`, `< 500`, `== 1`, `empty` or `not empty`."""

    op: str
    threshold: float | None = None

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Parse a condition; raise ValueError saying what a condition looks like."""
        normal = " ".join(text.split()).lower()
        if normal in ("empty", "not empty"):
            return cls(normal)
        found = _COMPARISON.match(text)
        if found is not None:
            try:
                return cls(found.group(1), float(found.group(2)))
            except ValueError:
                pass
        raise ValueError(
            f"{text!r} is not a condition like '> 0', '< 500', '== 1', 'empty' or 'not empty'"
        )

    def holds(self, value: float | None) -> bool:
        """Tell whether the condition holds for `value` (None: the query returned nothing)."""
        if self.op == "empty":
            return value is None
        if self.op == "not empty":
            return value is not None
        if value is None or math.isnan(value) or self.threshold is None:
            return False
        return _OPERATORS[self.op](value, self.threshold)

    def __str__(self) -> str:
        if self.threshold is None:
            return self.op
        return f"{self.op} {self.threshold:g}"


def parse_duration(value: object) -> timedelta:
    """Parse `30s`, `5m`, `1h30m`, `2d` or a number of seconds; raise ValueError if not positive."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration like 30s, 5m or 1h30m")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip() and (found := _DURATION.match(value.strip())):
        days, hours, minutes, secs = (int(part or 0) for part in found.groups())
        seconds = float(((days * 24 + hours) * 60 + minutes) * 60 + secs)
    else:
        raise ValueError(f"{value!r} is not a duration like 30s, 5m or 1h30m")
    if not seconds > 0:
        raise ValueError("must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Write a duration the way runbooks do: `1h30m`, `10s`."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `count` runs of an action per sliding window `per`, across all incidents."""

    count: int
    per: timedelta

    def next_allowed(self, *, recent: Sequence[datetime], now: datetime) -> datetime:
        """Return when the next run may start: `now` if allowed, else when a slot frees up.

        `recent` holds the start times of earlier runs of this action (any order); only those
        inside the window `(now - per, now]` count.
        """
        window = sorted(t for t in recent if now - self.per < t <= now)
        if len(window) < self.count:
            return now
        return window[len(window) - self.count] + self.per

    def allows(self, *, recent: Sequence[datetime], now: datetime) -> bool:
        """Tell whether a run may start at `now`."""
        return self.next_allowed(recent=recent, now=now) <= now


@dataclass(frozen=True, slots=True)
class Step:
    """One numbered step (1-based): prose for people, and optionally an action with guards."""

    number: int
    title: str
    prose: str = ""
    action: Action | None = None
    auto: bool = False
    approval: str | None = None
    timeout: timedelta = DEFAULT_STEP_TIMEOUT
    rollback: Action | None = None
    rate_limit: RateLimit | None = None


@dataclass(frozen=True, slots=True)
class AppliesTo:
    """Which alerts a runbook is for: an alert name in `alertnames` and every matcher.

    Both parts must hold when both are given; an empty `AppliesTo` matches nothing, so a
    runbook without `applies_to` is only ever linked by hand.
    """

    alertnames: tuple[str, ...] = ()
    matchers: tuple[Matcher, ...] = ()

    def matches(self, labels: Labels) -> bool:
        """Tell whether an alert with these labels is one this runbook is for."""
        if not self.alertnames and not self.matchers:
            return False
        if self.alertnames and labels.get("alertname", "") not in self.alertnames:
            return False
        return matches_all(self.matchers, labels)


@dataclass(frozen=True, slots=True)
class Runbook:
    """A parsed runbook file: front matter fields, the Markdown body, and where it lives."""

    id: str
    title: str
    owners: tuple[str, ...]
    applies_to: AppliesTo
    steps: tuple[Step, ...]
    body: str
    path: str

    def auto_steps(self) -> tuple[Step, ...]:
        """Return the steps that run by themselves when a matching incident opens."""
        return tuple(s for s in self.steps if s.auto and s.action is not None)

    def applies(self, labels: Labels) -> bool:
        """Tell whether this runbook is for an alert with these labels."""
        return self.applies_to.matches(labels)

    def step(self, number: int) -> Step:
        """Return step `number` (1-based); raise NotFound."""
        if 1 <= number <= len(self.steps):
            return self.steps[number - 1]
        raise NotFound(f"runbook {self.id!r} has no step {number} (it has {len(self.steps)})")
