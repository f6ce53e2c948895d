"""The platform's alerting rules, and an evaluator that runs them as Prometheus would.

`load_rules()` reads `rules/platform.rules.yml` (a real Prometheus rule file; `promtool check
rules` accepts it) into `Rule`s. `Evaluator(rules, query=…, clock=…)` runs each rule's
expression through `query` at every `evaluate(now)`: a series that appears starts a *pending*
alert, which turns *firing* once it has held for the rule's `for:`; a firing alert whose series
is gone turns *resolved* (and is kept 15 minutes so that the resolution can be delivered); a
pending one is simply dropped. As Prometheus does, the alert's labels are the series' labels
without `__name__`, plus the rule's labels and `alertname`.

Annotation (and label) templates are rendered by simple substitution: `{{ $value }}`,
`{{ $labels.NAME }}` (also `.Value` / `.Labels.NAME`), and `$value | humanizePercentage` or
`| humanizeDuration`. Alerts of the rules in `JOB_ID_QUERIES` get a `job_ids` annotation:
the failed job IDs (comma-separated, at most 50) the query returns, for Fireline to link.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from fireline.clock import Clock
from fireline.sandbox.query import QueryError, Sample, format_value, parse

MAX_JOB_IDS = 50
KEEP_RESOLVED = timedelta(minutes=15)
JOB_ID_QUERIES: dict[str, str] = {
    "ExtractionErrorRateHigh": 'platform_failed_job_info{stage="extraction"}',
    "UploadFailures": 'platform_failed_job_info{stage="upload"}',
}
_DURATION = re.compile(
    r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?"
)
_UNITS_S = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)
_TEMPLATE = re.compile(
    r"\{\{\s*(?:\$value|\.Value|(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*))"
    r"\s*(?:\|\s*([A-Za-z]+)\s*)?\}\}"
)

QueryFn = Callable[[str], Sequence[Sample]]
_Key = tuple[str, tuple[tuple[str, str], ...]]


class RuleError(Exception):
    """The rule file is not one the evaluator can run; the message says where."""


class Status(StrEnum):
    """Where an alert is in its life, as Prometheus names it."""

    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Rule:
    """One alerting rule of the file."""

    name: str
    expr: str
    hold: timedelta
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertState:
    """One alert as of the last evaluation."""

    name: str
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str]
    value: float
    expr: str
    active_at: datetime
    fired_at: datetime | None = None
    resolved_at: datetime | None = None


def parse_duration(text: str) -> timedelta:
    """Read a Prometheus duration (`1m`, `90s`, `1h30m`, `0`), or raise RuleError."""
    found = _DURATION.fullmatch(text.strip())
    if text.strip() == "0":
        return timedelta(0)
    if not text.strip() or found is None:
        raise RuleError(f"{text!r} is not a duration such as 30s, 1m or 1h30m")
    seconds = sum(int(n) * unit for n, unit in zip(found.groups(), _UNITS_S, strict=True) if n)
    return timedelta(seconds=seconds)


def default_rules_path() -> Path:
    """The rule file shipped with the sandbox."""
    return Path(str(files("fireline.sandbox") / "rules" / "platform.rules.yml"))


def load_rules(path: Path | None = None) -> list[Rule]:
    """Read the alerting rules of a Prometheus rule file (default: the sandbox's own)."""
    source = path or default_rules_path()
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not isinstance(document.get("groups"), list):
        raise RuleError(f"{source}: expected a mapping with a `groups` list")
    rules: list[Rule] = []
    for g, group in enumerate(document["groups"]):
        items = group.get("rules") if isinstance(group, dict) else None
        if not isinstance(items, list):
            raise RuleError(f"{source}: groups[{g}] has no `rules` list")
        rules.extend(
            _rule(item, where=f"{source}: groups[{g}].rules[{r}]") for r, item in enumerate(items)
        )
    return rules


def _rule(item: Any, *, where: str) -> Rule:
    if not isinstance(item, dict) or "alert" not in item:
        raise RuleError(f"{where}: only alerting rules (with `alert:`) are supported")
    expr = str(item.get("expr", ""))
    try:
        parse(expr)
    except QueryError as error:
        raise RuleError(f"{where}: expr {expr!r}: {error}") from error
    return Rule(
        name=str(item["alert"]),
        expr=expr,
        hold=parse_duration(str(item.get("for", "0"))),
        labels={str(k): str(v) for k, v in (item.get("labels") or {}).items()},
        annotations={str(k): str(v) for k, v in (item.get("annotations") or {}).items()},
    )


def render(template: str, *, labels: Mapping[str, str], value: float) -> str:
    """Substitute `{{ $value }}` and `{{ $labels.NAME }}` (a missing label renders as "")."""

    def substitute(found: re.Match[str]) -> str:
        label, function = found.group(1), found.group(2)
        if label is not None:
            return labels.get(label, "")
        if function == "humanizePercentage":
            return f"{value * 100:.4g}%"
        if function == "humanizeDuration":
            return humanize_duration(value)
        return format_value(value)

    return _TEMPLATE.sub(substitute, template)


def humanize_duration(seconds: float) -> str:
    """Write seconds as Prometheus's `humanizeDuration` does: `9m 58s`, `2d 3h 0m 1s`."""
    if math.isnan(seconds) or math.isinf(seconds):
        return format_value(seconds)
    if abs(seconds) < 1:
        return f"{seconds * 1000:.4g}ms"
    sign, whole = ("-" if seconds < 0 else ""), int(abs(seconds))
    days, hours = whole // 86400, whole // 3600 % 24
    minutes, secs = whole // 60 % 60, whole % 60
    if days:
        return f"{sign}{days}d {hours}h {minutes}m {secs}s"
    if hours:
        return f"{sign}{hours}h {minutes}m {secs}s"
    if minutes:
        return f"{sign}{minutes}m {secs}s"
    return f"{sign}{abs(seconds):.4g}s"


class Evaluator:
    """Evaluates alerting rules over a query function, keeping each alert's state."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        query: QueryFn,
        clock: Clock,
        job_id_queries: Mapping[str, str] | None = None,
    ) -> None:
        self.rules = list(rules)
        self._query = query
        self._clock = clock
        self._job_id_queries = dict(JOB_ID_QUERIES if job_id_queries is None else job_id_queries)
        self._alerts: dict[_Key, AlertState] = {}

    def alerts(self) -> list[AlertState]:
        """The alerts as of the last evaluation: pending, firing and recently resolved."""
        return list(self._alerts.values())

    def evaluate(self, now: datetime | None = None) -> list[AlertState]:
        """Run every rule at `now` (default: the clock's now); return the alerts."""
        at = now or self._clock.now()
        for rule in self.rules:
            self._evaluate(rule, at)
        for key, alert in list(self._alerts.items()):
            if alert.resolved_at is not None and at - alert.resolved_at >= KEEP_RESOLVED:
                del self._alerts[key]
        return self.alerts()

    def _evaluate(self, rule: Rule, at: datetime) -> None:
        samples = self._query(rule.expr)
        job_ids = self._job_ids(rule.name) if samples else None
        seen: set[_Key] = set()
        for sample in samples:
            labels = _alert_labels(rule, sample)
            key = (rule.name, tuple(sorted(labels.items())))
            seen.add(key)
            alert = self._alerts.get(key)
            if alert is None or alert.status is Status.RESOLVED:
                alert = AlertState(rule.name, Status.PENDING, labels, {}, 0.0, rule.expr, at)
            annotations = _annotations(rule, labels=labels, value=sample.value, job_ids=job_ids)
            alert = replace(alert, value=sample.value, annotations=annotations)
            if alert.status is Status.PENDING and at - alert.active_at >= rule.hold:
                alert = replace(alert, status=Status.FIRING, fired_at=at)
            self._alerts[key] = alert
        self._end_missing(rule, seen=seen, at=at)

    def _end_missing(self, rule: Rule, *, seen: set[_Key], at: datetime) -> None:
        """Drop the rule's pending alerts whose series is gone; resolve its firing ones."""
        for key, alert in list(self._alerts.items()):
            if key[0] != rule.name or key in seen:
                continue
            if alert.status is Status.PENDING:
                del self._alerts[key]
            elif alert.status is Status.FIRING:
                self._alerts[key] = replace(alert, status=Status.RESOLVED, resolved_at=at)

    def _job_ids(self, rule_name: str) -> str | None:
        expr = self._job_id_queries.get(rule_name)
        if expr is None:
            return None
        ids = [s.labels["job_id"] for s in self._query(expr) if s.labels.get("job_id")]
        return ",".join(ids[-MAX_JOB_IDS:])


def _annotations(
    rule: Rule, *, labels: Mapping[str, str], value: float, job_ids: str | None
) -> dict[str, str]:
    rendered = {k: render(v, labels=labels, value=value) for k, v in rule.annotations.items()}
    return rendered if job_ids is None else {**rendered, "job_ids": job_ids}


def _alert_labels(rule: Rule, sample: Sample) -> dict[str, str]:
    series = {k: v for k, v in sample.labels.items() if k != "__name__"}
    rendered = {k: render(v, labels=series, value=sample.value) for k, v in rule.labels.items()}
    return {**series, **rendered, "alertname": rule.name}
