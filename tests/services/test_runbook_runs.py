"""Runbook automation through the engine: auto steps on a matching incident, guards, once only.

The runbook lives in a real Git repository; the platform is a loopback fake whose admin calls
the test takes one by one and whose query answers the test sets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fireline.app import build_engine
from fireline.domain.errors import Forbidden
from fireline.engine.loop import Engine
from fireline.services.container import Container
from fireline.services.runbooks.approvals import approve_step
from fireline.services.runbooks.runs import RunRequest, start_run
from fireline.services.timeline import read_timeline
from fireline.store.repos.runbook_run import StepRunView
from tests.fakes.platform import FakePlatform
from tests.fakes.server import running
from tests.support.alerts import am_alert, am_payload
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.fake_clock import FakeClock
from tests.support.oncall_config import INTAKE_KEY, oncall_config
from tests.support.runbook_repo import commit_files

DEPTH = "max(platform_queue_depth)"
RUNBOOK = """\
---
id: queue-saturation
title: Job queue saturated
owners: [sre]
applies_to:
  alertnames: [QueueSaturated]
steps:
  - title: Confirm the backlog
    auto: true
    action: {kind: prometheus_query, query: "max(platform_queue_depth)", condition: "> 500"}
  - title: Scale the workers to 32
    auto: true
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
  - title: Wait for the queue to drain
    auto: true
    timeout: 2m
    action:
      kind: wait_until
      query: "max(platform_queue_depth)"
      condition: "< 100"
      timeout: 1m
      interval: 10s
  - title: Pause intake
    approval: commander
    action: {kind: http, method: POST, url: "{{ platform.admin_url }}/admin/intake/pause"}
  - title: Check the extraction model version
    action: {kind: manual, instructions: "Compare the model version with the last release"}
---
# Job queue saturated
"""


@pytest.fixture
def platform() -> Iterator[tuple[FakePlatform, str]]:
    """The fake platform and its base URL."""
    fake = FakePlatform()
    fake.values[DEPTH] = 900.0
    with running(fake) as url:
        yield fake, url


@pytest.fixture
def engine(
    container: Container, tmp_path: Path, platform: tuple[FakePlatform, str]
) -> Iterator[Engine]:
    """A config with the runbook repository and the platform, and the engine."""
    repo = tmp_path / "runbooks"
    commit_files(repo, {"queue-saturation.md": RUNBOOK})
    url = platform[1]
    extra = f"""\
runbooks:
  repository: "{repo}"
  platform: {{admin_url: "{url}"}}
  prometheus_url: "{url}"
"""
    apply_config(
        container, oncall_config(extra=extra).replace("escalation_policy: queue", ""), tmp_path
    )
    built = build_engine(container)
    yield built
    built.close()


def _alert(
    name: str = "QueueSaturated", fingerprint: str = "00000000000000c1"
) -> dict[str, object]:
    return am_payload(
        [am_alert({"alertname": name, "severity": "critical"}, fingerprint=fingerprint)]
    )


def _kinds(container: Container, incident_id: int = 1) -> list[str]:
    events = read_timeline(container.uow, incident_id=incident_id, after_seq=0, limit=500).items
    return [e.kind for e in events if e.kind.startswith("runbook.")]


def _steps(container: Container, incident_id: int = 1) -> list[StepRunView]:
    with container.uow.read() as tx:
        runs = tx.runbook_runs.runs_for_incident(incident_id)
        return tx.runbook_runs.steps_of([r.id for r in runs])


def _drain(engine: Engine) -> None:
    while engine.tick()["runbook_steps"]:
        pass


def test_auto_steps_run_when_a_matching_incident_opens(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    platform: tuple[FakePlatform, str],
) -> None:
    fake = platform[0]
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    _drain(engine)
    [scale] = fake.take()
    assert (scale.path, scale.json()) == ("/admin/workers", {"count": 32})
    assert [s.status for s in _steps(container)] == ["succeeded", "succeeded", "pending"]
    fake.values[DEPTH] = 40.0  # the queue drains
    clock.advance(seconds=11)
    _drain(engine)
    assert [s.status for s in _steps(container)] == ["succeeded"] * 3
    incident = api.ok("GET", "/api/v1/incidents/INC-1", as_="viewer")
    assert incident["runbook_url"].startswith("/api/v1/runbooks/queue-saturation?at=")
    assert _kinds(container) == [
        "runbook.linked",
        "runbook.run_started",
        "runbook.step_started",
        "runbook.step_succeeded",
        "runbook.step_started",
        "runbook.step_succeeded",
        "runbook.step_started",
        "runbook.step_succeeded",
        "runbook.run_finished",
    ]


def test_a_step_done_for_the_incident_is_not_repeated_and_approval_waits_for_a_commander(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    platform: tuple[FakePlatform, str],
) -> None:
    fake = platform[0]
    fake.values[DEPTH] = 40.0
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    fake.values[DEPTH] = 900.0
    _drain(engine)
    fake.take()
    fake.values[DEPTH] = 40.0
    clock.advance(seconds=11)
    _drain(engine)
    start_run(
        container.uow,
        config=container.live_config.current(),
        request=RunRequest(incident_id=1, runbook_id="queue-saturation"),
        actor="alice",
        now=clock.now(),
    )
    _drain(engine)
    skipped = [
        e
        for e in read_timeline(container.uow, incident_id=1, after_seq=0, limit=500).items
        if e.kind == "runbook.step_skipped"
    ]
    assert [e.data["step"] for e in skipped] == [1, 2, 3]
    assert "already succeeded" in skipped[0].data["reason"]
    waiting = _steps(container)[-1]
    assert (waiting.step, waiting.status) == (4, "waiting_approval")
    with pytest.raises(Forbidden):
        approve_step(
            container.uow, step_run_id=waiting.id, actor="bob", is_commander=False, now=clock.now()
        )
    approve_step(
        container.uow, step_run_id=waiting.id, actor="carol", is_commander=True, now=clock.now()
    )
    _drain(engine)
    [pause] = fake.take()
    assert pause.path == "/admin/intake/pause"
    manual = _steps(container)[-1]
    assert (manual.step, manual.status) == (5, "waiting_confirmation")
    approve_step(
        container.uow, step_run_id=manual.id, actor="bob", is_commander=False, now=clock.now()
    )
    _drain(engine)
    assert _steps(container)[-1].status == "succeeded"
    assert _kinds(container)[-1] == "runbook.run_finished"


def test_dry_run_says_exactly_what_would_be_done_and_does_nothing(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    platform: tuple[FakePlatform, str],
) -> None:
    container_config = container.live_config.current()
    api.post(
        f"/integrations/alertmanager/{INTAKE_KEY}",
        as_=None,
        json=_alert("QueueSlow", "00000000000000d1"),
    )  # no runbook matches: nothing runs
    started = start_run(
        container.uow,
        config=container_config,
        request=RunRequest(incident_id=1, runbook_id="queue-saturation", dry_run=True),
        actor="alice",
        now=clock.now(),
    )
    assert started.run is None
    assert started.plan[1].does == f'POST {platform[1]}/admin/workers {{"count": 32}}'
    assert started.plan[3].approval == "commander"
    assert engine.tick()["runbook_steps"] == 0
    assert _kinds(container) == ["runbook.dry_run"]


def test_a_failed_step_runs_its_rollback(
    api: Api,
    container: Container,
    engine: Engine,
    platform: tuple[FakePlatform, str],
) -> None:
    fake = platform[0]
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()  # step 1 (the query) succeeds; step 2 is queued
    fake.fail_next(500)  # the scale-up fails
    _drain(engine)
    [rollback] = fake.take()
    assert rollback.json() == {"count": 8}
    assert [s.status for s in _steps(container)] == ["succeeded", "failed", "succeeded"]
    assert "runbook.rollback" in _kinds(container)
    with container.uow.read() as tx:
        assert [r.status for r in tx.runbook_runs.runs_for_incident(1)] == ["rolled_back"]


def test_the_rate_limit_holds_an_action_across_incidents(
    api: Api,
    container: Container,
    engine: Engine,
    platform: tuple[FakePlatform, str],
) -> None:
    fake = platform[0]
    api.post(
        f"/integrations/alertmanager/{INTAKE_KEY}",
        as_=None,
        json=am_payload(
            [
                am_alert({"alertname": "QueueSaturated", "region": r}, fingerprint=f"{i:016x}")
                for i, r in enumerate(("eu-west-1", "us-east-1"))
            ]
        ),
    )
    _drain(engine)
    assert len(fake.take()) == 1  # the second incident's scale-up waits its turn
    assert "runbook.rate_limited" in _kinds(container, 2) + _kinds(container, 1)


def test_an_engine_dying_mid_step_never_runs_a_side_effect_twice(
    api: Api,
    container: Container,
    engine: Engine,
    clock: FakeClock,
    platform: tuple[FakePlatform, str],
) -> None:
    api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alert())
    engine.tick()  # step 1 succeeds and step 2 is queued
    now = clock.now()
    with container.uow.write() as tx:  # an engine claims step 2, marks it running, then dies
        [claimed] = tx.runbook_runs.claim(now=now, lease_until=now, limit=5)
        tx.runbook_runs.set_step(claimed.id, started_at=now)
    clock.advance(seconds=1)
    _drain(engine)
    scale = _steps(container)[1]
    assert scale.status == "failed"
    assert "interrupted" in (scale.output or "")
    rollback = platform[0].take()  # only the rollback ran; the scale-up was never re-sent
    assert [r.json() for r in rollback] == [{"count": 8}]
