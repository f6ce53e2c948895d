"""Ordered routing rules and the decision they make for one alert. First match wins."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from fireline.domain.alerts.alert import AlertIn
from fireline.domain.incidents.severity import Severity
from fireline.domain.labels import Matcher, matches_all
from fireline.domain.routing.template import TemplateProblem, render

DEFAULT_SEVERITY = (
    "{{ {'critical': 'SEV2', 'error': 'SEV3', 'warning': 'SEV4', 'info': 'SEV5'}"
    ".get((labels.severity or severity or '') | lower, 'SEV3') }}"
)
DEFAULT_GROUP_KEY = "{{ service }}/{{ labels.alertname or summary }}/{{ labels.region }}"
DEFAULT_TITLE = "{{ annotations.summary or summary or labels.alertname }}"
FALLBACK_SEVERITY = Severity.SEV3


class OnResolved(StrEnum):
    """What happens to an incident when every one of its alerts has resolved."""

    MITIGATE = "mitigate"
    RESOLVE = "resolve"


@dataclass(frozen=True, slots=True)
class Rule:
    """Alerts matching every matcher go to `service`, with these templates."""

    name: str
    matchers: tuple[Matcher, ...]
    service: str
    severity: str | None = None
    group_key: str | None = None
    title: str | None = None
    runbook: str | None = None


@dataclass(frozen=True, slots=True)
class Routing:
    """The rules in order, the catch-all service and the default templates."""

    rules: tuple[Rule, ...]
    catch_all_service: str
    severity: str = DEFAULT_SEVERITY
    group_key: str = DEFAULT_GROUP_KEY
    title: str = DEFAULT_TITLE
    on_resolved: OnResolved = OnResolved.RESOLVE


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """While open, alerts for `service` are recorded but nobody is paged."""

    service: str
    starts_at: datetime
    ends_at: datetime
    reason: str = ""

    def covers(self, service: str, now: datetime) -> bool:
        """Tell whether the window applies to `service` at `now`."""
        return self.service == service and self.starts_at <= now < self.ends_at


@dataclass(frozen=True, slots=True)
class Decision:
    """Where an alert goes and how its incident looks; `problems` lists template fallbacks."""

    rule: str | None
    service: str
    severity: Severity
    group_key: str
    title: str
    runbook: str | None
    problems: tuple[str, ...] = field(default=())
    # The title's templates: the rule's own (if any), then the routing default.
    title_templates: tuple[str, ...] = field(default=())


def route(alert: AlertIn, routing: Routing, *, titled: bool = True) -> Decision:
    """Decide service, severity, group key, title and runbook; templates never lose an alert.

    With `titled=False` the title is left empty, for `with_title` to render when an incident
    opens: most alerts join an open incident, and a title reading the alert's own summary
    would otherwise be rendered afresh for every one of them.
    """
    rule = next((r for r in routing.rules if matches_all(r.matchers, alert.labels)), None)
    service = rule.service if rule else routing.catch_all_service
    context = _context(alert, service)
    problems: list[str] = []

    def field(name: str) -> str:
        own = getattr(rule, name) if rule else None
        return _render_or_default(own, getattr(routing, name), context, name, problems)

    severity = _severity(field("severity"), problems)
    group_key = field("group_key")
    runbook = alert.annotations.get("runbook_url")
    if rule and rule.runbook:
        runbook = _render(rule.runbook, context, "runbook", problems) or runbook
    decision = Decision(
        rule=rule.name if rule else None,
        service=service,
        severity=severity,
        group_key=group_key or f"{service}/{alert.dedup_key or alert.summary}",
        title="",
        runbook=runbook or None,
        problems=tuple(problems),
        title_templates=(rule.title, routing.title) if rule and rule.title else (routing.title,),
    )
    return with_title(decision, alert) if titled else decision


def with_title(decision: Decision, alert: AlertIn) -> Decision:
    """Return the decision with its title rendered (and any template fallback reported)."""
    problems = list(decision.problems)
    *own, default = decision.title_templates
    context = _context(alert, decision.service)
    title = _render_or_default(own[0] if own else None, default, context, "title", problems)
    return replace(
        decision, title=title or alert.summary or "untitled alert", problems=tuple(problems)
    )


def _context(alert: AlertIn, service: str) -> dict[str, Any]:
    return {
        "labels": alert.labels,
        "annotations": alert.annotations,
        "summary": alert.summary,
        "severity": alert.severity or "",
        "source": alert.source,
        "service": service,
    }


def _render(source: str, context: dict[str, Any], what: str, problems: list[str]) -> str:
    try:
        return render(source, context)
    except TemplateProblem as problem:
        problems.append(f"{what} template failed ({problem}); used the default")
        return ""


def _render_or_default(
    own: str | None, default: str, context: dict[str, Any], what: str, problems: list[str]
) -> str:
    """Render the rule's template; if it fails, the routing default; if that fails, ""."""
    if own:
        try:
            return render(own, context)
        except TemplateProblem as problem:
            problems.append(f"{what} template failed ({problem}); used the default")
    return _render(default, context, what, problems)


def _severity(text: str, problems: list[str]) -> Severity:
    candidate = text.strip().upper()
    if candidate.isdigit():
        candidate = f"SEV{candidate}"
    try:
        return Severity(candidate)
    except ValueError:
        if text:
            problems.append(
                f"severity template gave {text!r}, not SEV1-SEV5; used {FALLBACK_SEVERITY}"
            )
        return FALLBACK_SEVERITY
