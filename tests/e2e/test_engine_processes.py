"""Engines as real processes: pages are neither lost nor sent twice, nor left to the poll.

On PostgreSQL two `fireline engine` processes compete for the same outbox (FOR UPDATE SKIP
LOCKED) while a loopback PagerDuty counts what arrives; then an engine is killed with SIGKILL
while its sends are in flight, and another takes over once the lease runs out, under the same
dedup keys. On SQLite an engine process is woken by each commit that queued a page.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from fireline.services.container import Container
from tests.fakes.pagerduty import FakePagerDuty
from tests.fakes.platform import FakePlatform
from tests.fakes.server import running
from tests.support.alerts import am_alert, am_payload
from tests.support.announced import announced
from tests.support.api import Api
from tests.support.configs import apply_config
from tests.support.oncall_config import INTAKE_KEY, oncall_config
from tests.support.runbook_repo import commit_files

ON_POSTGRES = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
LEASE_S = 2.0
SETTLE_TIMEOUT_S = 120.0


def _alerts(count: int) -> dict[str, Any]:
    return am_payload(
        [
            am_alert({"alertname": f"Queue{n}", "severity": "critical"}, fingerprint=f"{n:016x}")
            for n in range(count)
        ]
    )


@contextmanager
def _engine(db_url: str, tmp_path: Path, **env_vars: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
    env |= {
        "FIRELINE_DATABASE_URL": db_url,
        "FIRELINE_ENGINE_INTERVAL_S": "0.5",
        "FIRELINE_OUTBOX_LEASE_S": str(LEASE_S),
        "FIRELINE_LOG_LEVEL": "warning",
        "FIRELINE_RUNBOOK_STEP_GRACE_S": "1",
        **env_vars,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "fireline", "engine"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _eventually(condition: Callable[[], bool], *, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
    """Wait for a condition that another process makes true (it has no way to tell us)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.05)


def _statuses(container: Container) -> dict[str, int]:
    with container.uow.read() as tx:
        return tx.notifications.count_by_status()


@pytest.fixture
def pagerduty(container: Container, tmp_path: Path) -> Iterator[FakePagerDuty]:
    """A fake PagerDuty, and a config whose first escalation step pages it."""
    fake = FakePagerDuty()
    with running(fake) as url:
        # One step only: the engines' clock is the real one, far past the test's fake clock, so
        # any later step would be due at once.
        text = oncall_config(pagerduty_url=f"{url}/v2/enqueue", escalate=False)
        apply_config(container, text, tmp_path)
        yield fake


@ON_POSTGRES
def test_two_engines_deliver_a_thousand_pages_once_each(
    api: Api, container: Container, db_url: str, tmp_path: Path, pagerduty: FakePagerDuty
) -> None:
    with _engine(db_url, tmp_path), _engine(db_url, tmp_path):
        answer = api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alerts(1000))
        assert answer.status_code == 200
        received = pagerduty.take(1000, timeout_s=SETTLE_TIMEOUT_S)
        _eventually(lambda: _statuses(container) == {"sent": 1000})
    keys = Counter(r.json()["dedup_key"] for r in received)
    assert set(keys) == {f"INC-{n}" for n in range(1, 1001)}
    assert max(keys.values()) == 1
    assert len(pagerduty.attempts) == 1000


@ON_POSTGRES
def test_an_engine_killed_mid_delivery_loses_nothing(
    api: Api, container: Container, db_url: str, tmp_path: Path, pagerduty: FakePagerDuty
) -> None:
    pagerduty.delay_next(3.0, times=8)  # the first engine's sends hang past its death
    with _engine(db_url, tmp_path) as doomed:
        api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alerts(20))
        pagerduty.wait_for_attempts(8, timeout_s=SETTLE_TIMEOUT_S)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=30)
    assert _statuses(container) == {"sending": 20}
    with _engine(db_url, tmp_path):
        received = pagerduty.take(28, timeout_s=SETTLE_TIMEOUT_S)
        _eventually(lambda: _statuses(container) == {"sent": 20})
    keys = Counter(r.json()["dedup_key"] for r in received)
    assert set(keys) == {f"INC-{n}" for n in range(1, 21)}
    # Only what was in flight at the kill arrived twice, under the same dedup key.
    assert sorted(keys.values()).count(2) == 8
    assert max(keys.values()) == 2


SCALE_UP = """\
---
id: scale-up
title: Scale up
owners: [sre]
applies_to: {alertnames: [Queue0]}
steps:
  - title: Scale the workers to 32
    auto: true
    timeout: 2s
    action:
      kind: http
      method: POST
      url: "{{ platform.admin_url }}/admin/workers"
      json: {count: 32}
---
# Scale up
"""


@ON_POSTGRES
def test_a_runbook_step_whose_engine_is_killed_is_never_run_twice(
    api: Api, container: Container, db_url: str, tmp_path: Path
) -> None:
    platform = FakePlatform()
    platform.delay_next(3.0)  # the first engine dies while its call to the platform hangs
    repo = tmp_path / "runbooks"
    commit_files(repo, {"scale-up.md": SCALE_UP})
    with running(platform) as url:
        extra = f'runbooks:\n  repository: "{repo}"\n  platform: {{admin_url: "{url}"}}\n'
        apply_config(
            container, oncall_config(extra=extra).replace("escalation_policy: queue", ""), tmp_path
        )
        with _engine(db_url, tmp_path) as doomed:
            api.post(f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=_alerts(1))
            platform.wait_for_attempts(1, timeout_s=SETTLE_TIMEOUT_S)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=30)
        with _engine(db_url, tmp_path):
            _eventually(lambda: _step_status(container) == "failed")
        platform.take()  # the one call the dead engine made, answered after it died
    assert len(platform.attempts) == 1
    with container.uow.read() as tx:
        runs = tx.runbook_runs.runs_for_incident(1)
        [step] = tx.runbook_runs.steps_of([r.id for r in runs])
    assert "interrupted" in (step.output or "")


def _step_status(container: Container) -> str | None:
    with container.uow.read() as tx:
        runs = tx.runbook_runs.runs_for_incident(1)
        steps = tx.runbook_runs.steps_of([r.id for r in runs])
    return steps[0].status if steps else None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_on_sqlite_an_engine_apart_is_woken_by_each_commit_not_by_its_poll(
    api: Api, db_url: str, tmp_path: Path, pagerduty: FakePagerDuty
) -> None:
    sockets = Path(db_url.removeprefix("sqlite:///") + "-engines")
    with _engine(db_url, tmp_path, FIRELINE_ENGINE_INTERVAL_S="3600"):
        _eventually(lambda: sockets.is_dir() and any(sockets.iterdir()))
        for n in range(3):
            alert = am_alert(
                {"alertname": f"Queue{n}", "severity": "critical"}, fingerprint=f"{n:016x}"
            )
            answer = api.post(
                f"/integrations/alertmanager/{INTAKE_KEY}", as_=None, json=am_payload([alert])
            )
            assert answer.status_code == 200
            # Far sooner than the hour-long poll: the commit woke the engine.
            [page] = pagerduty.take(1, timeout_s=SETTLE_TIMEOUT_S)
            assert page.json()["dedup_key"] == f"INC-{n + 1}"


@contextmanager
def _serve(db_url: str, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """Run `fireline serve` with its engine; yield its URL and the engine's process id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
    # An hour-long poll: only a commit's wake-up can make the engine page in time.
    env |= {"FIRELINE_DATABASE_URL": db_url, "FIRELINE_ENGINE_INTERVAL_S": "3600"}
    pattern = r"Fireline serving on (http://127\.0\.0\.1:[1-9]\d*) "
    with announced(["serve", "--port", "0"], cwd=tmp_path, env=env, url_pattern=pattern) as (
        url,
        said,
    ):
        found = re.search(r"engine running in process (\d+) ", said)
        assert found is not None, said
        yield url, int(found.group(1))


def _page_one(url: str, n: int, pagerduty: FakePagerDuty) -> None:
    alert = am_alert({"alertname": f"Queue{n}", "severity": "critical"}, fingerprint=f"{n:016x}")
    answer = httpx.post(f"{url}/integrations/alertmanager/{INTAKE_KEY}", json=am_payload([alert]))
    assert answer.status_code == 200
    [page] = pagerduty.take(1, timeout_s=SETTLE_TIMEOUT_S)
    assert page.json()["dedup_key"] == f"INC-{n + 1}"


def _gone(pid: int) -> bool:
    """Tell whether a process has exited (a zombie nobody reaped yet counts as exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_runs_its_engine_as_a_child_that_it_restarts_and_stops(
    db_url: str, tmp_path: Path, pagerduty: FakePagerDuty
) -> None:
    sockets = Path(db_url.removeprefix("sqlite:///") + "-engines")
    with _serve(db_url, tmp_path) as (url, first):
        _page_one(url, 0, pagerduty)
        os.kill(first, signal.SIGKILL)
        # The server starts another engine, which pages what was committed while none ran.
        _page_one(url, 1, pagerduty)
        # Each engine's wake-up socket is named by its process id.
        _eventually(lambda: any(p.name not in {str(first)} for p in sockets.iterdir()))
        [second] = [int(p.name) for p in sockets.iterdir() if p.name != str(first)]
        assert not _gone(second)
    assert _gone(second)  # stopping the server stopped its engine
    assert len(pagerduty.attempts) == 2


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_engine_whose_server_was_killed_stops_by_itself(
    db_url: str, tmp_path: Path, pagerduty: FakePagerDuty
) -> None:
    with _serve(db_url, tmp_path) as (url, engine_pid):
        _page_one(url, 0, pagerduty)
        status = Path(f"/proc/{engine_pid}/status").read_text()
        [server_pid] = [
            int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")
        ]
        os.kill(server_pid, signal.SIGKILL)
        _eventually(lambda: _gone(engine_pid))
