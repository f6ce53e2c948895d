"""The platform's runbooks in examples/runbooks: they parse, match their alerts, and render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dulwich import porcelain

from fireline.runbooks.guards import RenderContext, describe, render_action
from fireline.runbooks.model import ActionKind, Runbook
from fireline.runbooks.parser import has_front_matter, parse_runbook
from fireline.runbooks.repo import RunbookRepo
from fireline.sandbox.query import parse as parse_sandbox_query

EXAMPLES = Path(__file__).parents[2] / "examples" / "runbooks"
SECTIONS = (
    "## Symptoms",
    "## Customer impact",
    "## Diagnosis",
    "## Mitigation",
    "## Verification",
    "## Escalation",
)
ALERTS = {
    "QueueSaturated": "queue-saturation",
    "UploadFailures": "upload-failures",
    "TokenExpiringSoon": "token-expiration",
    "ExtractionErrorRateHigh": "extraction-errors",
}
# Destructive or customer-visible admin calls: never without the incident commander.
NEEDS_COMMANDER = ("/admin/intake/pause", "/admin/dead-letters/drain")


def _labels(alertname: str) -> dict[str, str]:
    labels = {"alertname": alertname, "severity": "critical", "region": "eu-west-1"}
    if alertname == "TokenExpiringSoon":
        labels["token"] = "extraction-worker"
    return labels


def _runbooks() -> list[Runbook]:
    files = sorted(p for p in EXAMPLES.glob("*.md") if has_front_matter(p.read_text("utf-8")))
    return [parse_runbook(p.read_text("utf-8"), path=p.name) for p in files]


@pytest.fixture(scope="module")
def examples_repo(tmp_path_factory: pytest.TempPathFactory) -> RunbookRepo:
    """The examples committed to a scratch Git repository, as the demo setup does."""
    path = tmp_path_factory.mktemp("examples") / "runbooks"
    shutil.copytree(EXAMPLES, path)
    repo = porcelain.init(str(path))
    porcelain.add(repo, paths=[str(p) for p in sorted(path.glob("*.md"))])
    porcelain.commit(
        repo,
        message=b"Add runbooks",
        author=b"Demo <demo@example.com>",
        committer=b"Demo <demo@example.com>",
    )
    repo.close()
    return RunbookRepo(path)


def test_every_example_runbook_parses_and_is_named_after_its_file() -> None:
    runbooks = _runbooks()

    assert {r.id for r in runbooks} == set(ALERTS.values())
    for runbook in runbooks:
        assert runbook.path == f"{runbook.id}.md"


def test_the_readme_is_not_a_runbook() -> None:
    readme = (EXAMPLES / "README.md").read_text("utf-8")

    assert not has_front_matter(readme)


def test_examples_repository_loads_without_problems(examples_repo: RunbookRepo) -> None:
    snapshot = examples_repo.scan()

    assert snapshot.problems == ()
    assert len(snapshot.runbooks) == len(ALERTS)


@pytest.mark.parametrize(("alertname", "runbook_id"), sorted(ALERTS.items()))
def test_each_alert_finds_its_runbook(
    examples_repo: RunbookRepo, alertname: str, runbook_id: str
) -> None:
    found = examples_repo.find_for(_labels(alertname))

    assert found is not None
    assert found.runbook.id == runbook_id


def test_an_unknown_alert_finds_no_runbook(examples_repo: RunbookRepo) -> None:
    assert examples_repo.find_for({"alertname": "Watchdog"}) is None


@pytest.mark.parametrize("runbook", _runbooks(), ids=lambda r: r.id)
def test_every_template_renders_with_a_sample_context(runbook: Runbook) -> None:
    alertname = next(a for a, r in ALERTS.items() if r == runbook.id)
    context = RenderContext(
        incident={"ref": "INC-42", "id": 42, "title": "Sample", "severity": "SEV2"},
        labels=_labels(alertname),
        annotations={"summary": "sample"},
        platform={"admin_url": "http://127.0.0.1:9200"},
    )
    for step in runbook.steps:
        for action in (step.action, step.rollback):
            if action is None:
                continue
            line = describe(render_action(action, context, field=f"step {step.number}"))
            assert "{{" not in line
            assert "\n" not in line


@pytest.mark.parametrize("runbook", _runbooks(), ids=lambda r: r.id)
def test_every_runbook_is_written_for_operators(runbook: Runbook) -> None:
    positions = [runbook.body.find(section) for section in SECTIONS]

    assert -1 not in positions, f"{runbook.id} lacks a section"
    assert positions == sorted(positions)
    assert "```promql" in runbook.body
    assert runbook.auto_steps(), "each runbook automates what is safe"
    assert runbook.owners


@pytest.mark.parametrize("runbook", _runbooks(), ids=lambda r: r.id)
def test_automated_queries_work_against_the_sandbox(runbook: Runbook) -> None:
    context = RenderContext(
        incident={"ref": "INC-1"},
        labels={"token": "uploads-api"},
        annotations={},
        platform={"admin_url": "http://sandbox"},
    )
    for step in runbook.steps:
        if step.action and step.action.kind in (ActionKind.PROMETHEUS_QUERY, ActionKind.WAIT_UNTIL):
            query = render_action(step.action, context).params["query"]
            parse_sandbox_query(query)


@pytest.mark.parametrize("runbook", _runbooks(), ids=lambda r: r.id)
def test_destructive_steps_wait_for_the_commander(runbook: Runbook) -> None:
    for step in runbook.steps:
        url = str(step.action.params.get("url", "")) if step.action else ""
        if url.endswith(NEEDS_COMMANDER):
            assert step.approval == "commander", f"{runbook.id} step {step.number}"
