"""The rule file (valid for promtool) and the evaluator: `for:`, firing, resolved, templates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from fireline.sandbox.query import Sample
from fireline.sandbox.rules import (
    Evaluator,
    Rule,
    RuleError,
    Status,
    default_rules_path,
    humanize_duration,
    load_rules,
    parse_duration,
    render,
)
from tests.support.fake_clock import FakeClock

REQUIRE_PROMTOOL = "FIRELINE_TEST_REQUIRE_PROMTOOL"
QUEUE = Rule(
    name="QueueSaturated",
    expr="platform_queue_depth > 500",
    hold=timedelta(minutes=1),
    labels={"severity": "critical"},
    annotations={"summary": "{{ $value }} jobs waiting"},
)
TOKEN = Rule(
    name="TokenExpiringSoon",
    expr="platform_token_expiry_seconds < 3600",
    hold=timedelta(0),
    labels={"severity": "critical", "service": "{{ $labels.token }}-owner"},
    annotations={"summary": "{{ $labels.token }} expires in {{ $value | humanizeDuration }}"},
)
EXTRACTION = Rule(
    name="ExtractionErrorRateHigh",
    expr="platform_extraction_error_ratio > 0.1",
    hold=timedelta(minutes=1),
    annotations={"summary": "{{ $value | humanizePercentage }} failed"},
)
JOBS = 'platform_failed_job_info{stage="extraction"}'


class FakeQuery:
    """Answers each expression with whatever the test set for it (nothing by default)."""

    def __init__(self) -> None:
        self.answers: dict[str, list[Sample]] = {}

    def __call__(self, expr: str) -> Sequence[Sample]:
        return self.answers.get(expr, [])

    def set(self, expr: str, *samples: tuple[dict[str, str], float]) -> None:
        """Answer `expr` with these (labels, value) samples from now on."""
        self.answers[expr] = [Sample(labels, value) for labels, value in samples]


@pytest.fixture
def query() -> FakeQuery:
    """A query function the test scripts."""
    return FakeQuery()


def _evaluator(query: FakeQuery, clock: FakeClock, *rules: Rule) -> Evaluator:
    return Evaluator(rules, query=query, clock=clock)


def _statuses(evaluator: Evaluator, clock: FakeClock) -> list[str]:
    return [alert.status.value for alert in evaluator.evaluate(clock.now())]


def test_the_rule_file_has_the_four_rules_with_labels_and_annotations() -> None:
    rules = {rule.name: rule for rule in load_rules()}
    assert list(rules) == [
        "QueueSaturated",
        "UploadFailures",
        "TokenExpiringSoon",
        "ExtractionErrorRateHigh",
    ]
    services = {name: rule.labels["service"] for name, rule in rules.items()}
    assert services == {
        "QueueSaturated": "job-queue",
        "UploadFailures": "uploads",
        "TokenExpiringSoon": "auth-tokens",
        "ExtractionErrorRateHigh": "extraction",
    }
    for rule in rules.values():
        assert rule.labels["region"] == "eu-west-1"
        assert rule.labels["severity"] in ("critical", "warning")
        assert rule.hold == timedelta(minutes=1)
        assert rule.annotations["runbook_url"].startswith("runbooks/")
        assert "{{ $" in rule.annotations["summary"]
    assert rules["QueueSaturated"].expr == "platform_queue_depth > 500"
    assert "{{ $labels.token }}" in rules["TokenExpiringSoon"].annotations["summary"]


def test_promtool_accepts_the_rule_file() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get(REQUIRE_PROMTOOL) == "1":
            pytest.fail(f"{REQUIRE_PROMTOOL}=1 but promtool is not on PATH", pytrace=False)
        pytest.skip("promtool is not on PATH (Debian package `prometheus`; `make tools`)")
    result = subprocess.run(
        [promtool, "check", "rules", str(default_rules_path())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 4 rules found" in result.stdout


def test_a_condition_is_pending_until_it_has_held_for_its_duration(
    query: FakeQuery, clock: FakeClock
) -> None:
    evaluator = _evaluator(query, clock, QUEUE)
    assert _statuses(evaluator, clock) == []
    query.set(QUEUE.expr, ({"__name__": "platform_queue_depth"}, 812.0))
    assert _statuses(evaluator, clock) == ["pending"]
    clock.advance(seconds=45)
    assert _statuses(evaluator, clock) == ["pending"]
    clock.advance(seconds=15)
    [alert] = evaluator.evaluate(clock.now())
    assert alert.status is Status.FIRING
    assert alert.labels == {"alertname": "QueueSaturated", "severity": "critical"}
    assert alert.annotations == {"summary": "812 jobs waiting"}
    assert alert.fired_at is not None
    assert alert.fired_at - alert.active_at >= QUEUE.hold


def test_a_pending_alert_whose_condition_ends_is_dropped(
    query: FakeQuery, clock: FakeClock
) -> None:
    evaluator = _evaluator(query, clock, QUEUE)
    query.set(QUEUE.expr, ({}, 600.0))
    assert _statuses(evaluator, clock) == ["pending"]
    query.set(QUEUE.expr)
    clock.advance(minutes=2)
    assert _statuses(evaluator, clock) == []
    query.set(QUEUE.expr, ({}, 600.0))  # it starts over
    clock.advance(seconds=30)
    assert _statuses(evaluator, clock) == ["pending"]


def test_a_firing_alert_resolves_is_kept_a_while_then_forgotten(
    query: FakeQuery, clock: FakeClock
) -> None:
    evaluator = _evaluator(query, clock, QUEUE)
    query.set(QUEUE.expr, ({}, 900.0))
    evaluator.evaluate(clock.now())
    clock.advance(minutes=1)
    assert _statuses(evaluator, clock) == ["firing"]
    query.set(QUEUE.expr)
    clock.advance(seconds=15)
    [resolved] = evaluator.evaluate(clock.now())
    assert resolved.status is Status.RESOLVED
    assert resolved.resolved_at is not None
    assert resolved.annotations == {"summary": "900 jobs waiting"}  # as last seen firing
    clock.advance(minutes=14)
    assert _statuses(evaluator, clock) == ["resolved"]
    clock.advance(minutes=1)
    assert _statuses(evaluator, clock) == []


def test_an_alert_that_returns_after_resolving_is_a_new_episode(
    query: FakeQuery, clock: FakeClock
) -> None:
    evaluator = _evaluator(query, clock, TOKEN)
    query.set(TOKEN.expr, ({"token": "uploads-api"}, 100.0))
    [first] = evaluator.evaluate(clock.now())
    query.set(TOKEN.expr)
    clock.advance(minutes=1)
    evaluator.evaluate(clock.now())
    query.set(TOKEN.expr, ({"token": "uploads-api"}, 50.0))
    clock.advance(minutes=1)
    [again] = evaluator.evaluate(clock.now())
    assert (first.status, again.status) == (Status.FIRING, Status.FIRING)  # for: 0 fires at once
    assert again.active_at > first.active_at
    assert again.resolved_at is None


def test_each_series_is_its_own_alert_with_its_labels_rendered(
    query: FakeQuery, clock: FakeClock
) -> None:
    evaluator = _evaluator(query, clock, TOKEN)
    query.set(
        TOKEN.expr,
        ({"__name__": "platform_token_expiry_seconds", "token": "extraction-worker"}, 598.0),
        ({"__name__": "platform_token_expiry_seconds", "token": "uploads-api"}, -30.0),
    )
    alerts = {a.labels["token"]: a for a in evaluator.evaluate(clock.now())}
    worker = alerts["extraction-worker"]
    assert worker.labels == {
        "alertname": "TokenExpiringSoon",
        "token": "extraction-worker",
        "severity": "critical",
        "service": "extraction-worker-owner",
    }
    assert worker.annotations["summary"] == "extraction-worker expires in 9m 58s"
    assert alerts["uploads-api"].annotations["summary"] == "uploads-api expires in -30s"


def test_failed_job_ids_are_attached_to_the_rules_that_have_them(
    query: FakeQuery, clock: FakeClock
) -> None:
    evaluator = _evaluator(query, clock, EXTRACTION, QUEUE)
    query.set(EXTRACTION.expr, ({}, 0.4))
    query.set(QUEUE.expr, ({}, 900.0))
    query.set(JOBS, *[({"job_id": f"job-{n:03d}"}, 1.0) for n in range(60)])
    alerts = {a.name: a for a in evaluator.evaluate(clock.now())}
    ids = alerts["ExtractionErrorRateHigh"].annotations["job_ids"].split(",")
    assert ids == [f"job-{n:03d}" for n in range(10, 60)]  # the 50 most recent
    assert alerts["ExtractionErrorRateHigh"].annotations["summary"] == "40% failed"
    assert "job_ids" not in alerts["QueueSaturated"].annotations


def test_the_evaluator_takes_the_clock_when_not_told_the_time(
    query: FakeQuery, clock: FakeClock
) -> None:
    evaluator = _evaluator(query, clock, QUEUE)
    query.set(QUEUE.expr, ({}, 900.0))
    [alert] = evaluator.evaluate()
    assert abs(alert.active_at - clock.now()) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("template", "text"),
    [
        ("{{ $value }}", "812.5"),
        ("{{$value}} / {{ .Value }}", "812.5 / 812.5"),
        ("{{ $labels.token }} {{ .Labels.token }}", "uploads-api uploads-api"),
        ("[{{ $labels.missing }}]", "[]"),
        ("{{ $value | humanizePercentage }}", "8.125e+04%"),  # Go's %.4g, as Prometheus
        ("{{ $value | humanizeDuration }}", "13m 32s"),
        ("{{ $value | title }}", "812.5"),
        ("no template", "no template"),
    ],
)
def test_templates_substitute_value_and_labels(template: str, text: str) -> None:
    assert render(template, labels={"token": "uploads-api"}, value=812.5) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.25, "250ms"),
        (42.0, "42s"),
        (598.0, "9m 58s"),
        (3 * 3600 + 5, "3h 0m 5s"),
        (30 * 86400.0, "30d 0h 0m 0s"),
        (-125.0, "-2m 5s"),
    ],
)
def test_durations_are_humanized_as_prometheus_does(seconds: float, text: str) -> None:
    assert humanize_duration(seconds) == text


def test_ratios_are_humanized_as_percentages() -> None:
    assert render("{{ $value | humanizePercentage }}", labels={}, value=0.3125) == "31.25%"


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("0", timedelta(0)),
        ("30s", timedelta(seconds=30)),
        ("1m", timedelta(minutes=1)),
        ("1h30m", timedelta(minutes=90)),
        ("1d", timedelta(days=1)),
        ("500ms", timedelta(milliseconds=500)),
    ],
)
def test_prometheus_durations_parse(text: str, duration: timedelta) -> None:
    assert parse_duration(text) == duration


@pytest.mark.parametrize("text", ["", "1", "5 minutes", "1m1h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(RuleError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"record": "x:sum", "expr": "sum(x)"}, "only alerting rules"),
        ({"alert": "X", "expr": "rate(x[5m]) > 1"}, "expr 'rate(x[5m]) > 1': unexpected '['"),
        ({"alert": "X", "expr": "x > 1", "for": "soon"}, "'soon' is not a duration"),
    ],
)
def test_rules_the_evaluator_cannot_run_are_refused(
    tmp_path: Path, rule: dict[str, str], message: str
) -> None:
    path = tmp_path / "bad.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [rule]}]}))
    with pytest.raises(RuleError, match=re.escape(message)):
        load_rules(path)


def test_a_file_without_groups_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yml"
    path.write_text("rules: []\n")
    with pytest.raises(RuleError, match="expected a mapping with a `groups` list"):
        load_rules(path)
