"""The whole loop for each of the platform's four faults, against the sandbox platform.

fault → the sandbox's rules fire → an Alertmanager webhook to Fireline over HTTP → an incident
with its runbook linked at a commit → the runbook's steps run in the engine against the
sandbox's admin API → the metrics recover → the alert resolves → the incident resolves, with the
failed jobs linked. Fireline and the sandbox share one fake clock; the test moves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fireline.app import build_engine
from fireline.engine.loop import Engine
from fireline.sandbox.app import Sandbox, create_app
from fireline.sandbox.sender import Sender
from fireline.services.container import Container
from fireline.services.runbooks.approvals import approve_step
from fireline.services.runbooks.runs import RunRequest, start_run
from fireline.services.timeline import read_timeline
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.fake_clock import FakeClock
from tests.support.runbook_repo import commit_files
from tests.support.server import serving

ROOT = Path(__file__).resolve().parents[2]
KEY = "demo-alertmanager-key"
TICK_S = 15
MAX_MINUTES = 60


@dataclass
class World:
    """Everything one scenario drives."""

    api: Api
    container: Container
    engine: Engine
    sandbox: Sandbox
    clock: FakeClock

    def step(self) -> None:
        """Fifteen seconds pass: the platform moves, its rules are evaluated, the engine works."""
        self.clock.advance(seconds=TICK_S)
        self.sandbox.advance()
        while any(self.engine.tick().values()):
            pass

    def until(self, condition: Callable[[], bool], *, minutes: int = MAX_MINUTES) -> None:
        """Let time pass until `condition` holds."""
        for _ in range(minutes * 60 // TICK_S):
            if condition():
                return
            self.step()
        raise AssertionError(f"not within {minutes} simulated minutes; timeline:\n{self.story()}")

    def incident(self) -> dict[str, Any] | None:
        """The fault's incident (the first), if it has opened."""
        answer = self.api.get("/api/v1/incidents/INC-1", as_="viewer")
        return None if answer.status_code == 404 else dict(answer.json())

    def status(self) -> str | None:
        """The incident's status, if it has opened."""
        found = self.incident()
        return None if found is None else str(found["status"])

    def kinds(self) -> list[str]:
        """The incident's timeline, by kind."""
        return [e.kind for e in self._events()]

    def story(self) -> str:
        """The incident's timeline, for a failure message."""
        return "\n".join(f"{e.kind} {e.data}" for e in self._events())

    def _events(self) -> list[Any]:
        if self.incident() is None:
            return []
        return list(read_timeline(self.container.uow, incident_id=1, after_seq=0, limit=1000).items)

    def waiting_steps(self) -> list[int]:
        """Step runs waiting for a person."""
        with self.container.uow.read() as tx:
            runs = tx.runbook_runs.runs_for_incident(1)
            steps = tx.runbook_runs.steps_of([r.id for r in runs])
        return [s.id for s in steps if s.status.startswith("waiting_")]


@pytest.fixture
def world(
    api: Api, container: Container, clock: FakeClock, live_url: str, tmp_path: Path
) -> Iterator[World]:
    """The demo configuration, its runbooks in a Git repository, the sandbox, the engine."""
    repo = tmp_path / "runbooks"
    commit_files(
        repo, {p.name: p.read_text() for p in (ROOT / "examples" / "runbooks").glob("*.md")}
    )
    sender = Sender(live_url, key=KEY, external_url="http://sandbox")
    sandbox = Sandbox(clock=clock, seed=7, sender=sender)
    with serving(create_app(sandbox)) as sandbox_url:
        text = (ROOT / "examples" / "fireline.yaml").read_text()
        text = text.replace("repository: .", f'repository: "{repo}"')
        text = text.replace("directory: examples/runbooks", 'directory: ""')
        text = text.replace("http://127.0.0.1:9200", sandbox_url)
        apply_config(container, text, tmp_path)
        engine = build_engine(container)
        try:
            yield World(api, container, engine, sandbox, clock)
        finally:
            engine.close()
            sandbox.close()


def _opened_with_runbook(world: World, runbook: str) -> None:
    world.until(lambda: world.status() is not None, minutes=15)
    world.step()
    incident = world.incident()
    assert incident is not None
    assert incident["runbook_url"].startswith(f"/api/v1/runbooks/{runbook}?at=")


def _heals(world: World, *, query: str, healthy: Callable[[float], bool]) -> None:
    world.until(lambda: world.status() == "resolved" and _run_over(world))
    samples = world.sandbox.samples(query)
    assert samples, world.story()
    assert healthy(samples[0].value), world.story()
    kinds = world.kinds()
    assert kinds.index("runbook.linked") < kinds.index("runbook.step_succeeded")
    assert "incident.resolve" in kinds
    with world.container.uow.read() as tx:
        runs = tx.runbook_runs.runs_for_incident(1)
    assert runs[-1].status == "succeeded", world.story()


def _run_over(world: World) -> bool:
    with world.container.uow.read() as tx:
        runs = tx.runbook_runs.runs_for_incident(1)
    return bool(runs) and all(r.status != "running" for r in runs)


def _jobs(world: World) -> list[str]:
    page = world.api.ok("GET", "/api/v1/incidents/INC-1/jobs", as_="viewer")
    return [j["job_id"] for j in page["items"]]


def test_queue_saturation_is_healed_by_scaling_the_workers(world: World) -> None:
    world.sandbox.inject_fault("queue-saturation")
    _opened_with_runbook(world, "queue-saturation")
    _heals(world, query="max(platform_queue_depth)", healthy=lambda depth: depth < 100)
    assert "runbook.run_finished" in world.kinds()


def test_token_expiry_is_healed_by_rotating_the_token(world: World) -> None:
    world.sandbox.inject_fault("token-expiry")
    _opened_with_runbook(world, "token-expiration")
    _heals(
        world,
        query='min(platform_token_expiry_seconds{token="extraction-worker"})',
        healthy=lambda seconds: seconds > 86_400,
    )


def test_extraction_errors_are_healed_by_retrying_the_failed_jobs(world: World) -> None:
    world.sandbox.inject_fault("extraction-errors")
    _opened_with_runbook(world, "extraction-errors")
    _heals(world, query="max(platform_extraction_error_ratio)", healthy=lambda r: r < 0.1)
    failed = _jobs(world)
    assert failed
    assert all(j.startswith("job-") for j in failed)


def test_upload_failures_are_healed_once_the_commander_approves(world: World) -> None:
    world.sandbox.inject_fault("upload-failures")
    _opened_with_runbook(world, "upload-failures")
    world.until(lambda: _run_over(world), minutes=10)  # the auto steps: they cannot heal it
    config = world.container.live_config.current()
    start_run(
        world.container.uow,
        config=config,
        request=RunRequest(incident_id=1, runbook_id="upload-failures"),
        actor="commander-on-duty",
        now=world.clock.now(),
    )
    for _ in range(2):  # pause intake, then resume it: each waits for the commander
        world.until(lambda: bool(world.waiting_steps()), minutes=5)
        [waiting] = world.waiting_steps()
        approve_step(
            world.container.uow,
            step_run_id=waiting,
            actor="commander-on-duty",
            is_commander=True,
            now=world.clock.now(),
        )
        world.step()
    _heals(world, query="max(platform_upload_error_ratio)", healthy=lambda r: r < 0.05)
    assert _jobs(world)
