"""The shape of `fireline.yaml` as Pydantic models: every field described and checked where it is.

Checks that need the whole file keep pointing at the field at fault: references to services
read the declared names from the validation context, and `repeats()` finds names and keys used
twice. `validate_file()` runs them all and returns every problem, not only the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Annotated, Any, NamedTuple

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from fireline.domain.configuration import IntegrationKind
from fireline.domain.errors import FieldError
from fireline.domain.labels import parse_matcher
from fireline.domain.routing.rules import OnResolved
from fireline.domain.routing.template import check_template
from fireline.domain.service import TIERS
from fireline.domain.validation import check_text
from fireline.services.configfile.paging_models import (
    ChannelSpec,
    PagingSpec,
    PolicySpec,
    ScheduleSpec,
    UserSpec,
)
from fireline.services.configfile.sections import (
    Interval,
    Section,
    Slug,
    first_problem,
    problem,
)
from fireline.services.configfile.source import Loc, yaml_path

KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
MAX_TEMPLATE = 4096


class FieldProblem(NamedTuple):
    """One problem of the file: where (a Pydantic-style location) and what."""

    loc: Loc
    message: str


def _team(value: str) -> str:
    errors: list[FieldError] = []
    text = check_text(errors, field="", value=value, max_length=100)
    first_problem(errors, "text")
    return text


def _tier(value: int) -> int:
    if value not in TIERS:
        raise problem("tier", f"must be one of {', '.join(map(str, TIERS))}")
    return value


def _key(value: str) -> str:
    # The value is a secret: never repeat it in the message.
    if not KEY.match(value):
        raise problem("key", "must be 8-128 characters of letters, digits, '_' and '-'")
    return value


def _template(value: str) -> str:
    if len(value) > MAX_TEMPLATE:
        raise problem("template", f"must be at most {MAX_TEMPLATE} characters")
    reason = check_template(value)
    if reason is not None:
        raise problem("template", f"template does not compile: {reason}")
    return value


def _matcher(value: str) -> str:
    try:
        parse_matcher(value)
    except ValueError as error:
        raise problem("matcher", str(error)) from error
    return value


def _declared_service(value: str, info: ValidationInfo) -> str:
    declared: frozenset[str] | None = (info.context or {}).get("services")
    if declared is not None and value not in declared:
        known = ", ".join(sorted(declared)) or "none yet"
        raise problem("service", f"{value!r} is not a declared service (declared: {known})")
    return value


ServiceRef = Annotated[str, AfterValidator(_declared_service)]
Template = Annotated[str, AfterValidator(_template)]
MatcherText = Annotated[str, AfterValidator(_matcher)]
Matchers = Annotated[
    list[MatcherText],
    Field(
        min_length=1,
        description='Alertmanager-style matchers that must all hold: alertname="Watchdog", '
        'severity=~"critical|page", region!="", team!~"test-.*"',
    ),
]


class ServiceSpec(Section):
    """A service of the platform that incidents can be about."""

    name: Slug = Field(description="Unique slug: lowercase letters, digits and '-'")
    team: Annotated[str, AfterValidator(_team)] = Field(description="The owning team")
    tier: Annotated[int, AfterValidator(_tier)] = Field(description="Criticality, 1 (most) to 4")
    regions: list[Slug] = Field(default=[], description="Regions it runs in, as slugs")
    description: str = Field(default="", max_length=2000, description="What it does")
    escalation_policy: Slug | None = Field(
        default=None, description="The escalation policy that pages for its incidents"
    )


class IntegrationSpec(Section):
    """A sender of alerts: it posts to /integrations/<kind>/<key>."""

    name: Slug = Field(description="Unique slug naming the sender")
    kind: IntegrationKind = Field(description="The payload format it sends")
    key: Annotated[str, AfterValidator(_key)] = Field(
        description="Unique secret in the intake URL: 8-128 letters, digits, '_' or '-'"
    )
    dedup_key: Template | None = Field(
        default=None,
        description="Template over labels, annotations, summary, severity and source giving the "
        "key that makes two alerts the same one (default: the sender's key, or the labels)",
    )


class RoutingDefaults(Section):
    """Templates used when a rule does not set its own (Fireline's defaults otherwise)."""

    severity: Template | None = Field(default=None, description="Renders SEV1..SEV5")
    group_key: Template | None = Field(
        default=None, description="Alerts with the same group key share one open incident"
    )
    title: Template | None = Field(default=None, description="The incident's title")


class RuleSpec(Section):
    """One routing rule: alerts matching all its matchers go to its service."""

    name: Slug = Field(description="Unique slug naming the rule")
    match: Matchers
    service: ServiceRef = Field(description="A declared service")
    severity: Template | None = Field(default=None, description="Renders SEV1..SEV5")
    group_key: Template | None = Field(default=None, description="Template of the group key")
    title: Template | None = Field(default=None, description="Template of the incident title")
    runbook: Template | None = Field(default=None, description="Runbook link (a template)")


class RoutingSpec(Section):
    """Where alerts go: ordered rules, first match wins; the rest go to the catch-all service."""

    catch_all_service: ServiceRef = Field(
        description="A declared service that gets every alert no rule matches (none is dropped)"
    )
    on_resolved: OnResolved = Field(
        default=OnResolved.RESOLVE,
        description="What an incident does when all its alerts resolve: resolve or mitigate",
    )
    defaults: RoutingDefaults = Field(default=RoutingDefaults(), description="Default templates")
    rules: list[RuleSpec] = Field(default=[], description="Rules in order; first match wins")


class MaintenanceSpec(Section):
    """A window in which a service's alerts are recorded but nobody is paged."""

    service: ServiceRef = Field(description="A declared service")
    start: AwareDatetime = Field(description="ISO 8601 instant with its zone")
    end: AwareDatetime = Field(description="ISO 8601 instant with its zone, after start")
    reason: str = Field(default="", max_length=500, description="Why, for the timeline")

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise problem("window", "must be after start")
        return end


class HeartbeatSpec(Section):
    """A signal (such as Alertmanager's Watchdog) that must keep arriving."""

    name: Slug = Field(description="Unique slug naming the heartbeat")
    interval: Interval = Field(description="Longest silence allowed: 90s, 5m, 1h, 1h30m")
    service: ServiceRef = Field(description="The declared service an incident opens for")
    match: Matchers


class RunbooksSpec(Section):
    """The runbook repository and what automated steps may reach."""

    repository: str = Field(
        min_length=1,
        description="Path of the Git repository of runbooks (relative to the server's "
        "working directory, or absolute)",
    )
    directory: str = Field(
        default="", description="The runbooks' folder inside the repository (default: its top)"
    )
    platform: dict[str, str] = Field(
        default={}, description="Values for step templates as platform.<name>, e.g. admin_url"
    )
    prometheus_url: str | None = Field(
        default=None, description="Prometheus HTTP API base URL for prometheus_query steps"
    )
    shell_allowlist: list[str] = Field(
        default=[], description="Command prefixes that shell steps may run; nothing else runs"
    )
    auto: bool = Field(
        default=True, description="Run steps marked auto: true when a matching incident opens"
    )


class ConfigFile(Section):
    """The whole of `fireline.yaml`."""

    services: list[ServiceSpec] = Field(default=[], description="The platform's services")
    integrations: list[IntegrationSpec] = Field(default=[], description="Senders of alerts")
    routing: RoutingSpec | None = Field(
        default=None, description="Routing rules; required once integrations are declared"
    )
    maintenance: list[MaintenanceSpec] = Field(default=[], description="Maintenance windows")
    heartbeats: list[HeartbeatSpec] = Field(default=[], description="Expected signals")
    channels: list[ChannelSpec] = Field(default=[], description="Systems pages go to")
    users: list[UserSpec] = Field(default=[], description="Responders and how to reach them")
    schedules: list[ScheduleSpec] = Field(default=[], description="Who is on call when")
    escalation_policies: list[PolicySpec] = Field(default=[], description="Who is paged, in order")
    paging: PagingSpec = Field(default=PagingSpec(), description="Providers, fallback, links")
    runbooks: RunbooksSpec | None = Field(default=None, description="Runbooks as code")


# Lists whose items must differ in these fields.
UNIQUE = {
    ("services",): ("name",),
    ("integrations",): ("name", "key"),
    ("routing", "rules"): ("name",),
    ("heartbeats",): ("name",),
    ("channels",): ("name",),
    ("users",): ("name",),
    ("schedules",): ("name",),
    ("escalation_policies",): ("name",),
}
SECRET_FIELDS = frozenset({"key"})
MESSAGES = {
    "missing": "is required",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "too_short": "must not be empty",
}


def validate_file(data: object) -> tuple[ConfigFile | None, list[FieldProblem]]:
    """Validate parsed YAML; return the model (None if any problem) and every problem found."""
    document = {} if data is None else data
    problems = list(repeats(document)) + list(_routing_needed(document))
    model: ConfigFile | None = None
    try:
        model = ConfigFile.model_validate(document, context={"services": _declared(document)})
    except ValidationError as error:
        problems.extend(_translate(e) for e in error.errors(include_url=False))
    return (None if problems else model), problems


def repeats(document: object) -> Iterator[FieldProblem]:
    """Find names and keys used by two items of one list (the later item is at fault)."""
    for where, fields in UNIQUE.items():
        items = _at(document, where)
        if not isinstance(items, list):
            continue
        for name in fields:
            first: dict[str, int] = {}
            for index, item in enumerate(items):
                value = item.get(name) if isinstance(item, dict) else None
                if not isinstance(value, str):
                    continue
                if value in first:
                    said = "this key" if name in SECRET_FIELDS else repr(value)
                    yield FieldProblem(
                        (*where, index, name),
                        f"{said} is already used by {yaml_path((*where, first[value]))}; "
                        f"each {name} must be unique",
                    )
                else:
                    first[value] = index


def _routing_needed(document: object) -> Iterator[FieldProblem]:
    # `routing:` written with nothing under it counts as missing too.
    if isinstance(document, dict) and document.get("integrations") and not document.get("routing"):
        yield FieldProblem(
            ("routing",),
            "is required when integrations are declared: at least routing.catch_all_service, "
            "the service that gets alerts no rule matches",
        )


def _declared(document: object) -> frozenset[str]:
    services = _at(document, ("services",))
    if not isinstance(services, list):
        return frozenset()
    return frozenset(
        s["name"] for s in services if isinstance(s, dict) and isinstance(s.get("name"), str)
    )


def _at(document: object, where: Loc) -> object:
    for part in where:
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def _translate(error: Mapping[str, Any]) -> FieldProblem:
    loc: Loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        return FieldProblem(loc, f"is not a field here; expected one of: {_expected(loc[:-1])}")
    return FieldProblem(loc, MESSAGES.get(error["type"], error["msg"]))


def _expected(loc: Loc) -> str:
    """Name the fields the model at `loc` has, to help with a typo."""
    model: type[BaseModel] = ConfigFile
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        found = _model_in(annotation)
        if found is None:
            break
        model = found
    return ", ".join(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
