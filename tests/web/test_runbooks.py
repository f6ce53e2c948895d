"""The runbook API on both databases: the library at any commit, runs, approvals.

The runbooks live in a real Git repository in a temp dir; the platform whose admin API and
Prometheus the steps call is a loopback fake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fireline.app import build_engine
from fireline.engine.loop import Engine
from fireline.services.container import Container
from tests.fakes.platform import FakePlatform
from tests.fakes.server import running
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.runbook_repo import commit_files

API = "/api/v1"
DEPTH = "max(platform_queue_depth)"
FILE = "queue-saturation.md"
RUNBOOK = """\
---
id: queue-saturation
title: Job queue saturated
owners: [platform, sre]
applies_to:
  alertnames: [QueueSaturated]
  matchers: ['region=~"eu-.*"']
steps:
  - title: Confirm the backlog
    prose: Make sure the queue really is over the threshold now.
    action: {kind: prometheus_query, query: "max(platform_queue_depth)", condition: "> 500"}
  - title: Scale the workers up
    rate_limit: {count: 1, per: 1h}
    action:
      kind: http
      method: POST
      url: "{{ platform.admin_url }}/admin/workers"
      json: {count: 32}
    rollback:
      kind: http
      method: POST
      url: "{{ platform.admin_url }}/admin/workers"
      json: {count: 8}
  - title: Pause intake
    approval: commander
    action:
      kind: http
      url: "{{ platform.admin_url }}/admin/intake/pause"
      headers: {Authorization: "Bearer literal-secret-0123", X-Incident: "{{ incident.ref }}"}
  - title: Check the model version
    action: {kind: manual, instructions: "Compare the model version with the last release"}
---
# Job queue saturated

Scale the extraction workers to 32.
"""
# The second commit scales further and says so in the body.
RUNBOOK_V2 = RUNBOOK.replace("count: 32", "count: 48").replace("to 32.", "to 48.")


def _configure_runbooks(container: Container, directory: Path, *, platform_url: str) -> list[str]:
    """Commit the runbook twice (the second time scaling to 48) and apply a config naming the
    repository; return the two commits, oldest first."""
    repo = directory / "runbooks"
    first = commit_files(repo, {FILE: RUNBOOK}, message="Add the queue runbook")
    second = commit_files(repo, {FILE: RUNBOOK_V2}, message="Scale to 48 workers")
    config = f"""\
runbooks:
  repository: "{repo}"
  platform: {{admin_url: "{platform_url}"}}
  prometheus_url: "{platform_url}"
"""
    apply_config(container, config, directory)
    return [first, second]


def _plan_lines(platform_url: str) -> list[str]:
    """What each step of the runbook (HEAD) does, exactly as a dry run says it."""
    return [
        "query Prometheus max(platform_queue_depth) and require the first sample > 500",
        f'POST {platform_url}/admin/workers {{"count": 48}}',
        f"POST {platform_url}/admin/intake/pause -H 'Authorization: ****' -H 'X-Incident: INC-1'",
        "ask a person to confirm: Compare the model version with the last release",
    ]


def _drain(engine: Engine) -> None:
    """Tick the engine until no runbook step moves."""
    while engine.tick()["runbook_steps"]:
        pass


@pytest.fixture
def platform() -> Iterator[tuple[FakePlatform, str]]:
    """The fake platform (queue depth 900) and its base URL."""
    fake = FakePlatform()
    fake.values[DEPTH] = 900.0
    with running(fake) as url:
        yield fake, url


@pytest.fixture
def commits(container: Container, tmp_path: Path, platform: tuple[FakePlatform, str]) -> list[str]:
    """The runbook repository's two commits, oldest first, with the config applied."""
    return _configure_runbooks(container, tmp_path, platform_url=platform[1])


@pytest.fixture
def engine(container: Container) -> Iterator[Engine]:
    """The background engine, ticked by hand."""
    built = build_engine(container)
    yield built
    built.close()


@pytest.fixture
def incident(make_incident: Callable[..., dict[str, Any]]) -> str:
    """INC-1, opened by hand."""
    ref: str = make_incident()["ref"]
    return ref


def _problem(api: Api, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
    response = api.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _runs(api: Api, ref: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = api.ok("GET", f"{API}/incidents/{ref}/runbook-runs", as_="viewer")
    return runs


def _statuses(api: Api, ref: str) -> list[tuple[int, str]]:
    return [(s["step"], s["status"]) for r in _runs(api, ref) for s in r["steps"]]


def _start(api: Api, ref: str, **body: Any) -> Any:
    payload = {"runbook": "queue-saturation", **body}
    return api.request("POST", f"{API}/incidents/{ref}/runbook-runs", as_="responder", json=payload)


def test_list_and_show_at_head(api: Api, commits: list[str]) -> None:
    [listed] = api.ok("GET", f"{API}/runbooks", as_="viewer")
    assert listed["commit"] == commits[1]
    assert (listed["id"], listed["title"], listed["owners"]) == (
        "queue-saturation",
        "Job queue saturated",
        ["platform", "sre"],
    )
    assert listed["applies_to"] == {
        "alertnames": ["QueueSaturated"],
        "matchers": ['region=~"eu-.*"'],
    }
    assert [(s["number"], s["kind"], s["auto"], s["approval"]) for s in listed["steps"]] == [
        (1, "prometheus_query", False, None),
        (2, "http", False, None),
        (3, "http", False, "commander"),
        (4, "manual", False, None),
    ]
    shown = api.ok("GET", f"{API}/runbooks/queue-saturation", as_="viewer")
    assert (shown["commit"], shown["path"]) == (commits[1], FILE)
    assert shown["body"] == "# Job queue saturated\n\nScale the extraction workers to 48.\n"
    first, scale = shown["steps"][:2]
    assert first["prose"] == "Make sure the queue really is over the threshold now."
    assert first["action"] == {
        "kind": "prometheus_query",
        "params": {"query": DEPTH, "condition": "> 500"},
    }
    assert scale["action"]["params"]["url"] == "{{ platform.admin_url }}/admin/workers"
    assert scale["action"]["params"]["json"] == {"count": 48}
    assert scale["rollback"]["params"]["json"] == {"count": 8}
    assert (scale["rate_limit"], scale["timeout"]) == ({"count": 1, "per": "1h"}, "5m")
    assert shown["steps"][2]["action"]["params"]["headers"] == {
        "Authorization": "****",  # a literal credential is not shown; a template is
        "X-Incident": "{{ incident.ref }}",
    }
    assert "literal-secret" not in str(shown)


def test_an_older_commit_shows_the_old_runbook_and_history_lists_both(
    api: Api, commits: list[str]
) -> None:
    old = api.ok("GET", f"{API}/runbooks/queue-saturation?at={commits[0][:7]}", as_="viewer")
    assert old["commit"] == commits[0]
    assert old["steps"][1]["action"]["params"]["json"] == {"count": 32}
    assert "to 32." in old["body"]
    [listed] = api.ok("GET", f"{API}/runbooks?at={commits[0]}", as_="viewer")
    assert listed["commit"] == commits[0]
    history = api.ok("GET", f"{API}/runbooks/queue-saturation/history", as_="viewer")
    assert [(h["commit"], h["message"], h["path"]) for h in history] == [
        (commits[1], "Scale to 48 workers", FILE),
        (commits[0], "Add the queue runbook", FILE),
    ]
    assert history[0]["author"] == "Test Author <test@example.com>"
    latest = api.ok("GET", f"{API}/runbooks/queue-saturation/history?limit=1", as_="viewer")
    assert [h["commit"] for h in latest] == [commits[1]]
    markdown = api.get(
        f"{API}/runbooks/queue-saturation?at={commits[0]}",
        as_="viewer",
        headers={"Accept": "text/markdown"},
    )
    assert markdown.status_code == 200
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text == "# Job queue saturated\n\nScale the extraction workers to 32.\n"


def test_unknown_runbooks_and_commits_are_404_and_a_bad_commit_422(
    api: Api, commits: list[str]
) -> None:
    missing = _problem(api, "GET", f"{API}/runbooks/nope", 404, as_="viewer")
    assert missing["detail"] == f"no runbook 'nope' at commit {commits[1][:12]}"
    assert "'nope'" in _problem(api, "GET", f"{API}/runbooks/nope/history", 404)["detail"]
    no_commit = _problem(api, "GET", f"{API}/runbooks?at=deadbeef", 404, as_="viewer")
    assert no_commit["detail"].startswith("no commit deadbeef in the runbook repository")
    bad = _problem(api, "GET", f"{API}/runbooks?at=HEAD~1", 422, as_="viewer")
    assert [e["field"] for e in bad["errors"]] == ["at"]
    assert _problem(api, "GET", f"{API}/runbooks", 401, as_=None)["status"] == 401


def test_without_a_runbooks_section_the_routes_say_how_to_add_one(
    api: Api, make_incident: Callable[..., dict[str, Any]]
) -> None:
    hint = "no runbooks are configured: add a runbooks section (repository: PATH)"
    assert _problem(api, "GET", f"{API}/runbooks", 404, as_="viewer")["detail"] == hint
    assert _problem(api, "GET", f"{API}/runbooks/queue-saturation", 404)["detail"] == hint
    ref = make_incident()["ref"]
    response = _start(api, ref, dry_run=True)
    assert (response.status_code, response.json()["detail"]) == (404, hint)


def test_a_dry_run_shows_the_exact_lines_and_runs_nothing(
    api: Api, incident: str, engine: Engine, platform: tuple[FakePlatform, str], commits: list[str]
) -> None:
    response = _start(api, incident, dry_run=True)
    assert response.status_code == 200, response.text
    planned = response.json()
    assert (planned["dry_run"], planned["run"], planned["commit"]) == (True, None, commits[1])
    assert [line["does"] for line in planned["plan"]] == _plan_lines(platform[1])
    assert [line["approval"] for line in planned["plan"]] == [None, None, "commander", None]
    old = _start(api, incident, dry_run=True, at=commits[0], step=2).json()
    assert [line["does"] for line in old["plan"]] == [
        f'POST {platform[1]}/admin/workers {{"count": 32}}'
    ]
    assert engine.tick()["runbook_steps"] == 0
    assert _runs(api, incident) == []
    timeline = api.ok("GET", f"{API}/incidents/{incident}/timeline", as_="viewer")["items"]
    assert [e["kind"] for e in timeline if e["kind"].startswith("runbook.")] == [
        "runbook.dry_run",
        "runbook.dry_run",
    ]


@pytest.mark.usefixtures("commits")
def test_a_real_run_queues_its_steps_for_the_engine(
    api: Api, incident: str, engine: Engine, platform: tuple[FakePlatform, str]
) -> None:
    response = _start(api, incident)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{API}/incidents/{incident}/runbook-runs"
    started = response.json()
    assert [line["does"] for line in started["plan"]] == _plan_lines(platform[1])
    run = started["run"]
    assert (run["status"], run["mode"], run["started_by"]) == ("running", "all", "responder")
    assert [(s["step"], s["status"]) for s in run["steps"]] == [(1, "pending")]
    _drain(engine)
    [scale] = platform[0].take()
    assert (scale.path, scale.json()) == ("/admin/workers", {"count": 48})
    assert _statuses(api, incident) == [(1, "succeeded"), (2, "succeeded"), (3, "waiting_approval")]
    [listed] = _runs(api, incident)
    assert "holds: > 500" in (listed["steps"][0]["output"] or "")
    assert listed["steps"][0]["finished_at"] is not None


@pytest.mark.usefixtures("commits")
def test_an_approval_step_refuses_a_responder_and_takes_a_commander(
    api: Api, incident: str, engine: Engine, platform: tuple[FakePlatform, str]
) -> None:
    _start(api, incident)
    _drain(engine)
    platform[0].take()
    waiting = _runs(api, incident)[0]["steps"][-1]
    path = f"{API}/runbook-steps/{waiting['id']}/approve"
    refused = _problem(api, "POST", path, 403, as_="responder")
    assert refused["detail"] == "this step waits for the approval of a commander"
    assert _problem(api, "POST", path, 403, as_="viewer")["status"] == 403
    approved = api.ok("POST", path, as_="commander")
    assert (approved["status"], approved["approved_by"]) == ("pending", "commander")
    _drain(engine)
    [pause] = platform[0].take()
    assert pause.path == "/admin/intake/pause"
    assert pause.headers["x-incident"] == incident
    assert _statuses(api, incident)[2:] == [(3, "succeeded"), (4, "waiting_confirmation")]


@pytest.mark.usefixtures("commits")
def test_a_manual_step_is_confirmed_by_a_responder(api: Api, incident: str, engine: Engine) -> None:
    started = _start(api, incident, step=4).json()
    assert started["run"]["mode"] == "step"
    _drain(engine)
    [manual] = _runs(api, incident)[0]["steps"]
    assert (manual["step"], manual["status"]) == (4, "waiting_confirmation")
    path = f"{API}/runbook-steps/{manual['id']}/approve"
    confirmed = api.ok("POST", path, as_="responder")
    assert confirmed["approved_by"] == "responder"
    _drain(engine)
    [run] = _runs(api, incident)
    assert run["status"] == "succeeded"
    assert run["steps"][0]["output"] == "confirmed by responder"
    again = _problem(api, "POST", path, 409, as_="responder")
    assert again["detail"] == f"step run {manual['id']} is succeeded, not waiting for anyone"
    assert _problem(api, "POST", f"{API}/runbook-steps/999/approve", 404)["status"] == 404


@pytest.mark.usefixtures("commits")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"step": 0}, "step"),
        ({"runbook": None}, "runbook"),
        ({"runbook": "Queue Saturation"}, "runbook"),
        ({"at": "HEAD"}, "at"),
        ({"dry_run": "maybe"}, "dry_run"),
        ({"dryrun": True}, "dryrun"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field(
    api: Api, incident: str, body: dict[str, Any], field: str
) -> None:
    payload = {"runbook": "queue-saturation", **body}
    problem = _problem(
        api, "POST", f"{API}/incidents/{incident}/runbook-runs", 422, as_="responder", json=payload
    )
    assert [e["field"] for e in problem["errors"]] == [field]


@pytest.mark.usefixtures("commits")
def test_runs_need_a_known_incident_runbook_and_step_and_a_responder(
    api: Api, incident: str
) -> None:
    assert _problem(api, "GET", f"{API}/incidents/INC-9/runbook-runs", 404)["status"] == 404
    assert _start(api, "INC-9", dry_run=True).status_code == 404
    assert _start(api, incident, dry_run=True, step=9).json()["detail"] == (
        "runbook 'queue-saturation' has no step 9 (it has 4)"
    )
    assert _start(api, incident, runbook="nope").status_code == 404
    path = f"{API}/incidents/{incident}/runbook-runs"
    body = {"runbook": "queue-saturation", "dry_run": True}
    assert _problem(api, "POST", path, 403, as_="viewer", json=body)["status"] == 403


@pytest.mark.usefixtures("commits")
def test_a_commander_skips_a_waiting_step_and_the_run_goes_on(
    api: Api, incident: str, engine: Engine, platform: tuple[FakePlatform, str]
) -> None:
    _start(api, incident)
    _drain(engine)
    platform[0].take()
    waiting = _runs(api, incident)[0]["steps"][-1]
    path = f"{API}/runbook-steps/{waiting['id']}/skip"
    assert _problem(api, "POST", path, 403, as_="responder")["status"] == 403
    skipped = api.ok("POST", path, as_="commander")
    assert (skipped["status"], skipped["output"]) == ("skipped", "skipped by commander")
    _drain(engine)
    assert _statuses(api, incident)[2:] == [(3, "skipped"), (4, "waiting_confirmation")]
    assert _problem(api, "POST", path, 409, as_="commander")["status"] == 409
