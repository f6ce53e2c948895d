"""`fireline apply`: `--check` offline, and loading the services into SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fireline.services.catalog import list_services
from fireline.services.container import Container
from tests.cli.harness import Fireline

DEMO = Path(__file__).resolve().parents[2] / "examples" / "fireline.yaml"
DEMO_KEYS = ("demo-alertmanager-key", "demo-grafana-key", "demo0pagerduty0compat0key", "demo-api")
BROKEN = """\
services:
  - name: Uploads!
    team: ingest
    tier: 7
integrations:
  - name: prometheus
    kind: alertmanager
    key: secret-alertmanager-key
  - name: grafana
    kind: grafana
    key: secret-alertmanager-key
routing:
  catch_all_service: monitoring
  rules:
    - name: queue
      match: ['alertname~"Queue.*"']
      service: uploads
      severity: "{% if labels.severity %}SEV1"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the demo file outside any Git work tree (its revision is its hash)."""
    path = tmp_path / "fireline.yaml"
    path.write_bytes(DEMO.read_bytes())
    return path


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A config file with seven problems."""
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    return path


def test_check_summarises_the_demo_file_without_a_database(
    fireline: Fireline, config: Path
) -> None:
    said = fireline.ok("apply", "--check", str(config)).stdout
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    assert said.splitlines() == [
        f"{config}: OK, revision sha256:{digest}",
        "  services      5: uploads, job-queue, extraction, auth-tokens, monitoring",
        "  integrations  4: prometheus (alertmanager), grafana (grafana), "
        "pagerduty-compat (pagerduty), api (generic)",
        "  rules         5: queue-saturated, upload-failures, token-expiring, "
        "extraction-errors, watchdog",
        "  catch-all     monitoring",
        "  heartbeats    1: alertmanager-watchdog",
        "  maintenance   0",
        "  channels      2: demo-smtp (email), incident-channel (email)",
        "  users         4: anna, jonas, maria, sam",
        "  schedules     1: platform-primary",
        "  policies      5: uploads, job-queue, extraction, auth-tokens, monitoring",
    ]
    assert not any(key in said for key in DEMO_KEYS)


def test_check_prints_every_problem_as_file_line_path_message(
    fireline: Fireline, broken: Path
) -> None:
    result = fireline("apply", "--check", str(broken))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{broken}:2: services[0].name: 'Uploads!' is not a slug (lowercase letters, digits "
        "and '-', at most 64 characters)",
        f"{broken}:4: services[0].tier: must be one of 1, 2, 3, 4",
        f"{broken}:11: integrations[1].key: this key is already used by integrations[0]; "
        "each key must be unique",
        f"{broken}:13: routing.catch_all_service: 'monitoring' is not a declared service "
        "(declared: Uploads!)",
        f"{broken}:16: routing.rules[0].match[0]: 'alertname~\"Queue.*\"' is not a "
        'matcher like alertname="QueueSaturated" or region=~"eu-.*"',
        f"{broken}:17: routing.rules[0].service: 'uploads' is not a declared service "
        "(declared: Uploads!)",
        f"{broken}:18: routing.rules[0].severity: template does not compile: "
        "TemplateSyntaxError: Unexpected end of template. Jinja was looking for the following "
        "tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.",
        f"7 problem(s) in {broken}",
    ]
    assert "secret-alertmanager-key" not in result.output


def test_check_reports_a_yaml_syntax_error_with_its_line(
    fireline: Fireline, tmp_path: Path
) -> None:
    path = tmp_path / "fireline.yaml"
    path.write_text("services:\n  - name: uploads\n    team: [ingest\n")
    result = fireline("apply", "--check", str(path))
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:4: is not valid YAML: while parsing a flow sequence")


def test_a_missing_file_exits_2_with_a_hint(fireline: Fireline, tmp_path: Path) -> None:
    for args in (["--check"], []):
        result = fireline("apply", *args, str(tmp_path / "nope.yaml"))
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            f"error: {tmp_path / 'nope.yaml'} does not exist",
            "hint: pass the path of your fireline.yaml",
        ]


def test_apply_loads_the_services_and_prints_the_revision(
    admin: Fireline, container: Container, config: Path
) -> None:
    digest = hashlib.sha256(config.read_bytes()).hexdigest()
    said = admin.ok("apply", str(config)).stdout
    assert said.splitlines() == [
        f"applied {config} at revision sha256:{digest} (now live): 5 services",
        "running servers switch to it within FIRELINE_CONFIG_RELOAD_INTERVAL_S (1 s), "
        "no restart needed",
    ]
    services = {s.name: s for s in list_services(container.uow)}
    assert sorted(services) == ["auth-tokens", "extraction", "job-queue", "monitoring", "uploads"]
    assert (services["auth-tokens"].team, services["auth-tokens"].tier) == ("identity", 2)

    config.write_text(config.read_text().replace("team: identity", "team: security"))
    again = admin.ok("apply", str(config)).stdout
    assert "(now live): 5 services" in again.splitlines()[0]
    assert list_services(container.uow)[0].team == "security"
    unchanged = admin.ok("apply", str(config)).stdout
    assert "(already live)" in unchanged.splitlines()[0]
    with container.uow.read() as tx:
        live = tx.config_revisions.get(tx.config_revisions.latest_id() or 0)
    assert live.content == config.read_text()
    assert live.applied_by == "fireline apply"


def test_apply_refuses_a_broken_file_before_touching_the_database(
    admin: Fireline, container: Container, broken: Path
) -> None:
    result = admin("apply", str(broken))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"7 problem(s) in {broken}"
    assert list_services(container.uow) == []


def test_apply_on_a_database_never_migrated_exits_5(empty_db_url: str, config: Path) -> None:
    result = Fireline({"FIRELINE_DATABASE_URL": empty_db_url})("apply", str(config))
    assert result.exit_code == 5
    assert "hint: run `fireline db upgrade` first" in result.stderr
