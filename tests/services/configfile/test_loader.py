"""Loading `fireline.yaml`: the demo file, each problem with its path and line, and revisions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fireline.domain.configuration import IntegrationKind
from fireline.domain.labels import parse_matcher
from fireline.domain.routing.rules import DEFAULT_GROUP_KEY, OnResolved
from fireline.services.configfile import (
    ConfigInvalid,
    ConfigProblem,
    ConfigUnreadable,
    check_config,
    load_config,
    parse_applied,
    parse_config,
)
from fireline.store.repos.config_revision import AppliedConfig

DEMO = Path(__file__).resolve().parents[3] / "examples" / "fireline.yaml"
KEY = "test-alertmanager-key"
MARK = "# <-"
BASE = f"""\
services:
  - name: job-queue
    team: platform
    tier: 1
    regions: [eu-west-1]
  - name: monitoring
    team: sre
    tier: 2
integrations:
  - name: prometheus
    kind: alertmanager
    key: {KEY}
routing:
  catch_all_service: monitoring
  rules:
    - name: queue-saturated
      match: ['alertname="QueueSaturated"']
      service: job-queue
      severity: "{{{{ 'SEV1' if labels.severity == 'critical' else 'SEV3' }}}}"
maintenance:
  - service: job-queue
    start: 2026-03-01T22:00:00+01:00
    end: 2026-03-01T23:30:00+01:00
heartbeats:
  - name: watchdog
    interval: 5m
    service: monitoring
    match: ['alertname="Watchdog"']
"""

SEVERITY = next(line + "\n" for line in BASE.splitlines() if "severity:" in line)
ROUTING = BASE[BASE.index("routing:") : BASE.index("maintenance:")]
HEARTBEATS = BASE[BASE.index("heartbeats:") :]

Write = Callable[[str], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write a config file (outside any Git work tree) and return its path."""

    def run(text: str) -> Path:
        path = tmp_path / "fireline.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return run


def _edit(*changes: tuple[str, str]) -> str:
    text = BASE
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _marked_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if MARK in line]


def test_the_demo_file_loads_into_the_domain_configuration() -> None:
    config = load_config(DEMO)
    assert [s.name for s in config.services] == [
        "uploads",
        "job-queue",
        "extraction",
        "auth-tokens",
        "monitoring",
    ]
    assert [(i.name, i.kind) for i in config.integrations] == [
        ("prometheus", IntegrationKind.ALERTMANAGER),
        ("grafana", IntegrationKind.GRAFANA),
        ("pagerduty-compat", IntegrationKind.PAGERDUTY),
        ("api", IntegrationKind.GENERIC),
    ]
    assert config.integration_by_key("demo-alertmanager-key") is config.integrations[0]
    assert len(config.integrations[2].key) == 32
    routing = config.routing
    assert routing.catch_all_service == "monitoring"
    assert routing.on_resolved is OnResolved.RESOLVE
    assert [(r.name, r.service, r.runbook) for r in routing.rules] == [
        ("queue-saturated", "job-queue", "runbooks/queue-saturation.md"),
        ("upload-failures", "uploads", "runbooks/upload-failures.md"),
        ("token-expiring", "auth-tokens", "runbooks/token-expiration.md"),
        ("extraction-errors", "extraction", "runbooks/extraction-errors.md"),
        ("watchdog", "monitoring", None),
    ]
    assert routing.rules[0].matchers == (parse_matcher('alertname="QueueSaturated"'),)
    assert routing.group_key == DEFAULT_GROUP_KEY
    assert config.maintenance == ()
    (heartbeat,) = config.heartbeats
    assert (heartbeat.name, heartbeat.interval, heartbeat.service) == (
        "alertmanager-watchdog",
        timedelta(minutes=5),
        "monitoring",
    )
    assert heartbeat.matchers == (parse_matcher('alertname="Watchdog"'),)
    assert config.revision


def test_a_valid_file_converts_every_section(write: Write) -> None:
    text = _edit(
        (
            "  catch_all_service: monitoring\n",
            "  catch_all_service: monitoring\n"
            '  on_resolved: mitigate\n  defaults:\n    title: "{{ labels.alertname }}!"\n',
        ),
        ("    interval: 5m\n", "    interval: 1h30m\n"),
    )
    config = load_config(write(text))
    assert config.routing.on_resolved is OnResolved.MITIGATE
    assert config.routing.title == "{{ labels.alertname }}!"
    assert config.routing.rules[0].severity == (
        "{{ 'SEV1' if labels.severity == 'critical' else 'SEV3' }}"
    )
    (window,) = config.maintenance
    assert (window.starts_at, window.ends_at) == (
        datetime(2026, 3, 1, 21, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 22, 30, tzinfo=UTC),
    )
    assert config.heartbeats[0].interval == timedelta(hours=1, minutes=30)
    assert config.services[0].regions == ("eu-west-1",)


def test_a_file_of_services_only_loads_without_routing(write: Write) -> None:
    config = load_config(write(BASE.split("integrations:", maxsplit=1)[0]))
    assert [s.name for s in config.services] == ["job-queue", "monitoring"]
    assert (config.integrations, config.routing.rules) == ((), ())


def test_an_empty_file_declares_nothing(write: Write) -> None:
    assert check_config(write("# nothing yet\n")) == []
    assert load_config(write("")).services == ()


PROBLEMS = {
    "unknown field": (
        ("      service: job-queue\n", f"      service: job-queue\n      sevrity: SEV1 {MARK}\n"),
        "routing.rules[0].sevrity",
        "is not a field here; expected one of: name, match, service, severity, group_key",
    ),
    "missing field": (
        (
            ("    kind: alertmanager\n", ""),
            ("  - name: prometheus\n", f"  - name: prometheus {MARK}\n"),
        ),
        "integrations[0].kind",
        "is required",
    ),
    "bad slug": (
        ("    - name: queue-saturated\n", f"    - name: Queue_Saturated {MARK}\n"),
        "routing.rules[0].name",
        "'Queue_Saturated' is not a slug",
    ),
    "bad tier": (
        ("    tier: 2\n", f"    tier: 5 {MARK}\n"),
        "services[1].tier",
        "must be one of 1, 2, 3, 4",
    ),
    "bad region": (
        ("[eu-west-1]", f"[eu-west-1, EU] {MARK}"),
        "services[0].regions[1]",
        "'EU' is not a slug",
    ),
    "duplicate service": (
        (
            "  - name: monitoring\n",
            f"  - name: job-queue {MARK}\n    team: ops\n    tier: 3\n  - name: monitoring\n",
        ),
        "services[1].name",
        "'job-queue' is already used by services[0]; each name must be unique",
    ),
    "duplicate rule": (
        (
            "maintenance:\n",
            f"    - name: queue-saturated {MARK}\n      match: ['severity=\"critical\"']\n"
            "      service: monitoring\nmaintenance:\n",
        ),
        "routing.rules[1].name",
        "'queue-saturated' is already used by routing.rules[0]; each name must be unique",
    ),
    "bad kind": (
        ("kind: alertmanager", f"kind: prometheus {MARK}"),
        "integrations[0].kind",
        "Input should be 'alertmanager', 'grafana', 'pagerduty' or 'generic'",
    ),
    "short key": (
        (f"key: {KEY}", f"key: short {MARK}"),
        "integrations[0].key",
        "must be 8-128 characters of letters, digits, '_' and '-'",
    ),
    "duplicate key": (
        (
            "routing:\n",
            f"  - name: grafana\n    kind: grafana\n    key: {KEY} {MARK}\nrouting:\n",
        ),
        "integrations[1].key",
        "this key is already used by integrations[0]; each key must be unique",
    ),
    "dedup template": (
        (f"key: {KEY}\n", f'key: {KEY}\n    dedup_key: "{{{{ labels.x " {MARK}\n'),
        "integrations[0].dedup_key",
        "template does not compile: TemplateSyntaxError",
    ),
    "undeclared catch-all": (
        ("catch_all_service: monitoring", f"catch_all_service: ops {MARK}"),
        "routing.catch_all_service",
        "'ops' is not a declared service (declared: job-queue, monitoring)",
    ),
    "undeclared rule service": (
        ("      service: job-queue\n", f"      service: queue {MARK}\n"),
        "routing.rules[0].service",
        "'queue' is not a declared service",
    ),
    "severity template": (
        (SEVERITY, f'      severity: "{{% if %}}SEV1{{% endif %}}" {MARK}\n'),
        "routing.rules[0].severity",
        "template does not compile: TemplateSyntaxError: Expected an expression",
    ),
    "default template": (
        ("  rules:\n", f'  defaults:\n    title: "{{{{ summary | shout }}}}" {MARK}\n  rules:\n'),
        "routing.defaults.title",
        "template does not compile: TemplateAssertionError: No filter named 'shout'",
    ),
    "bad matcher": (
        ("""['alertname="QueueSaturated"']""", f"""['alertname: QueueSaturated'] {MARK}"""),
        "routing.rules[0].match[0]",
        "'alertname: QueueSaturated' is not a matcher",
    ),
    "bad regex": (
        ("""['alertname="QueueSaturated"']""", f"""['alertname=~"(Queue"'] {MARK}"""),
        "routing.rules[0].match[0]",
        "bad regular expression '(Queue'",
    ),
    "no matchers": (
        ("""['alertname="QueueSaturated"']""", f"[] {MARK}"),
        "routing.rules[0].match",
        "must not be empty",
    ),
    "bad on_resolved": (
        ("  rules:\n", f"  on_resolved: close {MARK}\n  rules:\n"),
        "routing.on_resolved",
        "Input should be 'mitigate' or 'resolve'",
    ),
    "routing missing": (
        (("services:\n", f"services: {MARK}\n"), (ROUTING, "")),
        "routing",
        "is required when integrations are declared",
    ),
    "routing empty": (
        (ROUTING, f"routing: {MARK}\n"),
        "routing",
        "is required when integrations are declared",
    ),
    "end before start": (
        ("    end: 2026-03-01T23:30:00+01:00", f"    end: 2026-03-01T21:30:00+01:00 {MARK}"),
        "maintenance[0].end",
        "must be after start",
    ),
    "naive start": (
        ("    start: 2026-03-01T22:00:00+01:00", f"    start: 2026-03-01T22:00:00 {MARK}"),
        "maintenance[0].start",
        "Input should have timezone info",
    ),
    "undeclared window service": (
        ("  - service: job-queue\n    start", f"  - service: jobs {MARK}\n    start"),
        "maintenance[0].service",
        "'jobs' is not a declared service",
    ),
    "zero interval": (
        ("interval: 5m", f"interval: 0s {MARK}"),
        "heartbeats[0].interval",
        "must be longer than 0s",
    ),
    "bad interval": (
        ("interval: 5m", f"interval: 5 minutes {MARK}"),
        "heartbeats[0].interval",
        "must be a duration like 90s, 5m, 1h or 1h30m",
    ),
    "numeric interval": (
        ("interval: 5m", f"interval: 300 {MARK}"),
        "heartbeats[0].interval",
        "must be a duration like 90s, 5m, 1h or 1h30m",
    ),
    "duplicate heartbeat": (
        (
            "    match: ['alertname=\"Watchdog\"']\n",
            "    match: ['alertname=\"Watchdog\"']\n"
            f"  - name: watchdog {MARK}\n    interval: 1m\n    service: monitoring\n"
            "    match: ['alertname=\"Watchdog\"']\n",
        ),
        "heartbeats[1].name",
        "'watchdog' is already used by heartbeats[0]",
    ),
    "not a list": (
        (HEARTBEATS, f"heartbeats: watchdog {MARK}\n"),
        "heartbeats",
        "must be a list",
    ),
    "key written twice": (
        ("    tier: 1\n", f"    tier: 1\n    tier: 2 {MARK}\n"),
        "services[0].tier",
        "is written twice (also on line 4); remove one",
    ),
}


@pytest.mark.parametrize(("change", "path", "message"), PROBLEMS.values(), ids=list(PROBLEMS))
def test_each_kind_of_problem_is_reported_at_its_path_and_line(
    write: Write, change: tuple[Any, ...], path: str, message: str
) -> None:
    # One change, or several; the marked line is where the problem must be reported (a
    # missing field where its mapping starts; a missing section at the top of the file).
    text = _edit(*(change if isinstance(change[0], tuple) else (change,)))
    problems = check_config(write(text))
    assert [(p.path, p.line) for p in problems] == [(path, *_marked_lines(text))]
    assert message in problems[0].message
    assert KEY not in problems[0].message


def test_every_problem_is_reported_at_once_in_line_order(write: Write) -> None:
    text = _edit(
        ("    tier: 2\n", f"    tier: 0 {MARK}\n"),
        (f"key: {KEY}", f"key: no {MARK}"),
        ("      service: job-queue\n", f"      service: queue {MARK}\n      colour: red {MARK}\n"),
        ("interval: 5m", f"interval: 0m {MARK}"),
        ("    service: monitoring\n    match", f"    service: ops {MARK}\n    match"),
    )
    problems = check_config(write(text))
    assert [(p.path, p.line) for p in problems] == list(
        zip(
            [
                "services[1].tier",
                "integrations[0].key",
                "routing.rules[0].service",
                "routing.rules[0].colour",
                "heartbeats[0].interval",
                "heartbeats[0].service",
            ],
            _marked_lines(text),
            strict=True,
        )
    )


def test_load_config_raises_every_problem_with_its_line(write: Write) -> None:
    text = _edit(("    tier: 2\n", "    tier: 0\n"), ("interval: 5m", "interval: soon"))
    path = write(text)
    with pytest.raises(ConfigInvalid) as raised:
        load_config(path)
    assert list(raised.value.problems) == check_config(path)
    assert [(e.field, e.message) for e in raised.value.errors] == [
        ("services[1].tier", "must be one of 1, 2, 3, 4"),
        ("heartbeats[0].interval", "must be a duration like 90s, 5m, 1h or 1h30m"),
    ]
    assert raised.value.detail == f"{path} has 2 problem(s)"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("services:\n  - name: [a\n", 3, "is not valid YAML: while parsing a flow sequence"),
        ("services:\n  - name: a: b\n", 2, "is not valid YAML: mapping values are not allowed"),
        ("services:\n\t- name: a\n", 2, "is not valid YAML"),
        ("x: !!python/object:os.system 1\n", 1, "could not determine a constructor"),
        ("- services\n", 1, "must be a mapping"),
    ],
    ids=["unclosed", "mapping value", "tab", "python tag", "list"],
)
def test_a_file_that_is_no_yaml_mapping_is_reported_with_its_line(
    write: Write, text: str, line: int, message: str
) -> None:
    problems = check_config(write(text))
    assert [(p.path, p.line) for p in problems] == [("", line)]
    assert message in problems[0].message


def test_a_file_that_is_not_utf8_is_a_problem_on_line_1(tmp_path: Path) -> None:
    path = tmp_path / "fireline.yaml"
    path.write_bytes(b"services: \xff\n")
    assert check_config(path) == [ConfigProblem("", 1, "is not UTF-8 text: invalid start byte")]


def test_a_missing_file_or_a_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ConfigUnreadable, match="nope.yaml does not exist"):
        check_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigUnreadable, match="is a directory"):
        load_config(tmp_path)


def test_text_already_read_parses_with_the_revision_given(write: Write) -> None:
    config = parse_config(BASE, revision="abc123")
    assert config == replace(load_config(write(BASE)), revision="abc123")
    applied = AppliedConfig(
        7, "abc123", "fireline.yaml", BASE, datetime(2026, 1, 5, tzinfo=UTC), "cli"
    )
    assert parse_applied(applied) == config


def test_text_with_problems_raises_naming_where_it_came_from() -> None:
    with pytest.raises(ConfigInvalid) as raised:
        parse_config(BASE.replace("tier: 2", "tier: 9"), revision="abc", where="revision abc")
    assert raised.value.detail == "revision abc has 1 problem(s)"
    assert list(raised.value.problems) == [
        ConfigProblem("services[1].tier", 8, "must be one of 1, 2, 3, 4")
    ]
