"""Loading `fireline.yaml` into a domain `Configuration`, or naming every problem with its line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import NamedTuple

from fireline.domain.configuration import (
    Configuration,
    Heartbeat,
    Integration,
    RunbookSettings,
)
from fireline.domain.errors import FieldError, FirelineError, Invalid
from fireline.domain.labels import Matcher, parse_matcher
from fireline.domain.routing.rules import (
    DEFAULT_GROUP_KEY,
    DEFAULT_SEVERITY,
    DEFAULT_TITLE,
    MaintenanceWindow,
    Routing,
    Rule,
)
from fireline.domain.service import Service, make_service
from fireline.services.configfile.models import ConfigFile, FieldProblem, validate_file
from fireline.services.configfile.oncall import convert_oncall
from fireline.services.configfile.revision import revision_of
from fireline.services.configfile.source import Loc, Source, read_yaml, yaml_path
from fireline.store.repos.config_revision import AppliedConfig


class ConfigProblem(NamedTuple):
    """One problem of a config file: its YAML path (`routing.rules[2].severity`), line, message.

    The path is "" for the file as a whole (a YAML syntax error, a top level that is no mapping).
    """

    path: str
    line: int
    message: str


class ConfigUnreadable(FirelineError):
    """The config file cannot be read at all: missing, a directory, or not permitted."""


class ConfigInvalid(Invalid):
    """The config was read but has problems; `problems` lists all of them, with lines."""

    def __init__(self, where: str, problems: list[ConfigProblem]) -> None:
        super().__init__(
            [FieldError(p.path or where, p.message) for p in problems],
            detail=f"{where} has {len(problems)} problem(s)",
        )
        self.problems = tuple(problems)


def load_config(path: Path) -> Configuration:
    """Read, check and convert `path`; raise ConfigInvalid (every problem) or ConfigUnreadable.

    The revision is the Git commit of the file when committed unchanged, else its content hash.
    """
    content = _read(path)
    configuration, problems = _parse(content, revision=lambda: revision_of(path, content))
    if configuration is None:
        raise ConfigInvalid(str(path), problems)
    return configuration


def check_config(path: Path) -> list[ConfigProblem]:
    """Return every problem of `path` in line order (none: it loads); raise ConfigUnreadable."""
    return _parse(_read(path), revision=lambda: "")[1]


def parse_config(text: str, *, revision: str, where: str = "the configuration") -> Configuration:
    """Check and convert config text already read; raise ConfigInvalid naming `where`."""
    configuration, problems = _parse(text.encode("utf-8"), revision=lambda: revision)
    if configuration is None:
        raise ConfigInvalid(where, problems)
    return configuration


def parse_applied(applied: AppliedConfig) -> Configuration:
    """Convert a revision that `fireline apply` recorded (its text and revision name)."""
    return parse_config(
        applied.content, revision=applied.revision, where=f"applied revision {applied.revision}"
    )


def _parse(
    content: bytes, *, revision: Callable[[], str]
) -> tuple[Configuration | None, list[ConfigProblem]]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [ConfigProblem("", 1, f"is not UTF-8 text: {error.reason}")]
    source = read_yaml(text)
    # Reading problems carry their own line: a key written twice is reported where it repeats.
    problems = [ConfigProblem(yaml_path(loc), line, said) for loc, line, said in source.problems]
    if source.data is None and source.problems:
        return None, problems
    model, found = validate_file(source.data)
    problems += [_at(source, p.loc, p.message) for p in found]
    configuration = None
    if model is not None and not problems:
        # Only a valid file is worth naming: the revision may ask Git.
        configuration, found = _convert(model, revision=revision())
        problems += [_at(source, p.loc, p.message) for p in found]
    problems.sort(key=lambda p: p.line)
    return (None if problems else configuration), problems


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise ConfigUnreadable(f"{path} does not exist") from error
    except IsADirectoryError as error:
        raise ConfigUnreadable(f"{path} is a directory, not a config file") from error
    except OSError as error:
        raise ConfigUnreadable(f"cannot read {path}: {error.strerror or error}") from error


def _at(source: Source, loc: Loc, message: str) -> ConfigProblem:
    return ConfigProblem(yaml_path(loc), source.line_of(loc), message)


def _convert(
    model: ConfigFile, *, revision: str
) -> tuple[Configuration | None, list[FieldProblem]]:
    """Turn a valid file into domain objects; the domain's own checks may still object."""
    services: list[Service] = []
    problems: list[FieldProblem] = []
    for index, spec in enumerate(model.services):
        try:
            services.append(make_service(**spec.model_dump(exclude={"escalation_policy"})))
        except Invalid as invalid:
            problems += [
                FieldProblem(("services", index, e.field), e.message) for e in invalid.errors
            ]
    oncall, found = convert_oncall(model)
    problems += found
    if problems or oncall is None:
        return None, problems
    configuration = Configuration(
        services=tuple(services),
        integrations=tuple(
            Integration(i.name, i.kind, i.key, i.dedup_key) for i in model.integrations
        ),
        routing=_routing(model),
        maintenance=tuple(
            MaintenanceWindow(m.service, m.start.astimezone(UTC), m.end.astimezone(UTC), m.reason)
            for m in model.maintenance
        ),
        heartbeats=tuple(
            Heartbeat(h.name, h.interval, h.service, _matchers(h.match)) for h in model.heartbeats
        ),
        revision=revision,
        oncall=oncall,
        runbooks=_runbooks(model),
    )
    return configuration, []


def _routing(model: ConfigFile) -> Routing:
    spec = model.routing
    if spec is None:
        # Allowed only while no integration is declared: no alert can arrive to be routed.
        return Routing(rules=(), catch_all_service="")
    defaults = spec.defaults
    return Routing(
        rules=tuple(
            Rule(
                name=r.name,
                matchers=_matchers(r.match),
                service=r.service,
                severity=r.severity,
                group_key=r.group_key,
                title=r.title,
                runbook=r.runbook,
            )
            for r in spec.rules
        ),
        catch_all_service=spec.catch_all_service,
        severity=defaults.severity or DEFAULT_SEVERITY,
        group_key=defaults.group_key or DEFAULT_GROUP_KEY,
        title=defaults.title or DEFAULT_TITLE,
        on_resolved=spec.on_resolved,
    )


def _runbooks(model: ConfigFile) -> RunbookSettings | None:
    spec = model.runbooks
    if spec is None:
        return None
    return RunbookSettings(
        repository=spec.repository,
        directory=spec.directory,
        platform=dict(spec.platform),
        prometheus_url=spec.prometheus_url,
        shell_allowlist=tuple(spec.shell_allowlist),
        auto=spec.auto,
    )


def _matchers(texts: list[str]) -> tuple[Matcher, ...]:
    return tuple(parse_matcher(t) for t in texts)
