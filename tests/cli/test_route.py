"""`fireline route test`: where the demo's alerts go, offline, as `amtool config routes test`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.harness import Fireline

DEMO = Path(__file__).resolve().parents[2] / "examples" / "fireline.yaml"
RULES_WITH_BAD_TEMPLATES = """\
services:
  - name: monitoring
    team: sre
    tier: 2
routing:
  catch_all_service: monitoring
  rules:
    - name: broken
      match: ['alertname="Broken"']
      service: monitoring
      severity: "{{ labels.severity.upper().nope() }}"
      title: "{{ 'URGENT' if labels.severity == 'critical' }}: {{ summary }}"
"""

# The platform's alerts: labels → rule, service, severity, runbook.
PLATFORM_ALERTS = {
    "queue saturated everywhere": (
        ["alertname=QueueSaturated", "severity=critical"],
        ("queue-saturated", "job-queue", "SEV1", "runbooks/queue-saturation.md"),
    ),
    "queue saturated in one region": (
        ["alertname=QueueSaturated", "severity=critical", "region=eu-west-1"],
        ("queue-saturated", "job-queue", "SEV2", "runbooks/queue-saturation.md"),
    ),
    "uploads failing": (
        ["alertname=UploadFailures", "severity=warning", "region=us-east-1"],
        ("upload-failures", "uploads", "SEV3", "runbooks/upload-failures.md"),
    ),
    "token expiring": (
        ["alertname=TokenExpiringSoon", "severity=info"],
        ("token-expiring", "auth-tokens", "SEV4", "runbooks/token-expiration.md"),
    ),
    "extraction errors": (
        ["alertname=ExtractionErrorRateHigh", "severity=critical"],
        ("extraction-errors", "extraction", "SEV1", "runbooks/extraction-errors.md"),
    ),
    "extraction errors in one region": (
        ["alertname=ExtractionErrorRateHigh", "severity=warning", "region=eu-west-1"],
        ("extraction-errors", "extraction", "SEV3", "runbooks/extraction-errors.md"),
    ),
    "watchdog": (
        ["alertname=Watchdog", "severity=none"],
        ("watchdog", "monitoring", "SEV4", None),
    ),
    "anything else": (
        ["alertname=DiskFull", "severity=critical"],
        (None, "monitoring", "SEV1", None),
    ),
}


@pytest.fixture
def route(fireline: Fireline) -> Fireline:
    """`fireline` with FIRELINE_CONFIG naming the demo file."""
    return fireline.with_env(FIRELINE_CONFIG=str(DEMO))


def _labels(labels: list[str]) -> list[str]:
    return [arg for label in labels for arg in ("--label", label)]


@pytest.mark.parametrize(
    ("labels", "expected"), PLATFORM_ALERTS.values(), ids=list(PLATFORM_ALERTS)
)
def test_each_platform_alert_goes_to_its_service_severity_and_runbook(
    route: Fireline, labels: list[str], expected: tuple[str | None, str, str, str | None]
) -> None:
    decision = route.json("route", "test", *_labels(labels))
    assert (decision["rule"], decision["service"], decision["severity"], decision["runbook"]) == (
        expected
    )
    assert decision["problems"] == []


def test_the_decision_is_printed_one_field_a_line(route: Fireline) -> None:
    said = route.ok(
        "route",
        "test",
        "-l",
        "alertname=QueueSaturated",
        "-l",
        "severity=critical",
        "-l",
        "region=eu-west-1",
        "--summary",
        "Queue eu-west-1 is 97% full",
    ).stdout
    assert said.splitlines() == [
        "rule       queue-saturated",
        "service    job-queue",
        "severity   SEV2",
        "group key  job-queue/QueueSaturated/eu-west-1",
        "title      Queue eu-west-1 is 97% full",
        "runbook    runbooks/queue-saturation.md",
    ]


def test_an_alert_no_rule_matches_goes_to_the_catch_all(route: Fireline) -> None:
    said = route.ok(
        "route",
        "test",
        "--summary",
        "Disk full",
        "--annotation",
        "runbook_url=https://wiki.example/disk",
    ).stdout
    assert said.splitlines() == [
        "rule       catch-all (no rule matched)",
        "service    monitoring",
        "severity   SEV4",
        "group key  monitoring/Disk full/",
        "title      Disk full",
        "runbook    https://wiki.example/disk",
    ]


def test_template_problems_are_shown_with_the_fallbacks(fireline: Fireline, tmp_path: Path) -> None:
    config = tmp_path / "fireline.yaml"
    config.write_text(RULES_WITH_BAD_TEMPLATES)
    args = ("route", "test", "--config", str(config), "-l", "alertname=Broken")
    decision = fireline.json(*args, "-l", "severity=critical")
    assert (decision["rule"], decision["severity"]) == ("broken", "SEV2")
    assert decision["title"] == "URGENT: Broken"
    assert len(decision["problems"]) == 1
    assert decision["problems"][0].startswith("severity template failed (UndefinedError:")
    said = fireline.ok(*args).stdout.splitlines()
    assert said[1:5] == [
        "service    monitoring",
        "severity   SEV3",
        "group key  monitoring/Broken/",
        "title      : Broken",
    ]
    assert said[-1].startswith("problem    severity template failed (UndefinedError:")


def test_the_config_defaults_to_fireline_yaml_in_the_working_directory(
    fireline: Fireline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fireline.yaml").write_bytes(DEMO.read_bytes())
    monkeypatch.chdir(tmp_path)
    decision = fireline.json("route", "test", "-l", "alertname=UploadFailures")
    assert decision["service"] == "uploads"
    assert decision["revision"].startswith("sha256:")


def test_a_missing_config_exits_2_with_a_hint(fireline: Fireline, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = fireline("route", "test", "--config", str(missing), "-l", "alertname=X")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {missing} does not exist",
        "hint: pass --config FILE or set FIRELINE_CONFIG",
    ]


def test_a_config_with_problems_exits_1_naming_them(fireline: Fireline, tmp_path: Path) -> None:
    config = tmp_path / "fireline.yaml"
    config.write_text(
        RULES_WITH_BAD_TEMPLATES.replace(
            "service: monitoring\n      sev", "service: ops\n      sev"
        )
    )
    result = fireline("route", "test", "--config", str(config), "-l", "alertname=X")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{config}:10: routing.rules[0].service: 'ops' is not a declared service "
        "(declared: monitoring)",
        f"1 problem(s) in {config}",
    ]


def test_a_config_without_routing_exits_1(fireline: Fireline, tmp_path: Path) -> None:
    config = tmp_path / "fireline.yaml"
    config.write_text(RULES_WITH_BAD_TEMPLATES.split("routing:", maxsplit=1)[0])
    result = fireline("route", "test", "--config", str(config), "-l", "alertname=X")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {config} has no routing section\n")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--label", "alertname"], "error: --label 'alertname' is not NAME=VALUE"),
        (["--annotation", "=x"], "error: --annotation '=x' is not NAME=VALUE"),
        (["--label", "bad-name=x"], "  labels.bad-name: is not a valid label name"),
        (["--label", "severity=critical"], "  summary: is missing (and there is no alertname)"),
    ],
    ids=["no equals", "no name", "bad label name", "no alertname or summary"],
)
def test_a_bad_alert_is_a_usage_error(route: Fireline, args: list[str], said: str) -> None:
    result = route("route", "test", *args)
    assert result.exit_code == 2
    assert said in result.stderr.splitlines()
