"""`fireline sandbox`: fault, status and clear against a served sandbox; serve as a process."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fireline.sandbox.app import Sandbox, create_app
from tests.cli.harness import Fireline
from tests.support.announced import announced
from tests.support.fake_clock import FakeClock
from tests.support.server import serving


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    """A sandbox on the fake clock."""
    return Sandbox(clock=clock, seed=4)


@pytest.fixture
def sandbox_url(sandbox: Sandbox) -> Iterator[str]:
    """The sandbox served on loopback."""
    with serving(create_app(sandbox)) as url:
        yield url


@pytest.fixture
def operator(fireline: Fireline, sandbox_url: str) -> Fireline:
    """`fireline` pointed at the served sandbox through FIRELINE_SANDBOX."""
    return fireline.with_env(FIRELINE_SANDBOX=sandbox_url)


def test_fault_injects_and_says_what_heals_it(operator: Fireline, sandbox: Sandbox) -> None:
    said = operator.ok("sandbox", "fault", "queue-saturation").stdout
    assert said.splitlines()[0].startswith("queue-saturation injected: workers drop to 1")
    assert "Healed by: POST /admin/workers with a count of at least 8" in said
    assert list(sandbox.platform.faults) == ["queue-saturation"]
    again = operator.ok("sandbox", "fault", "queue-saturation").stdout
    assert again.startswith("queue-saturation already active")


def test_fault_names_are_checked_before_asking(operator: Fireline) -> None:
    result = operator("sandbox", "fault", "disk-full")
    assert result.exit_code == 2
    assert "queue-saturation" in result.stderr


def test_status_shows_metrics_faults_and_alerts(
    operator: Fireline, sandbox: Sandbox, clock: FakeClock
) -> None:
    operator.ok("sandbox", "fault", "token-expiry")
    clock.advance(minutes=2)
    sandbox.advance()
    said = operator.ok("sandbox", "status").stdout
    assert re.search(r"Extraction workers\s+│\s+8", said)
    assert re.search(r"Token extraction-worker expires in\s+│\s+8m 0s", said)
    assert re.search(r"Oldest job age\s+│\s+0s", said)
    assert "fault token-expiry since" in said
    assert "healed by POST /admin/tokens/extraction-worker/rotate" in said
    assert "alert TokenExpiringSoon firing: Service token extraction-worker expires in" in said


def test_status_json_is_the_whole_state(operator: Fireline) -> None:
    state = operator.json("sandbox", "status")
    assert state["workers"] == 8
    assert state["faults"] == []
    assert set(state["tokens"]) == {"uploads-api", "extraction-worker"}


def test_clear_ends_every_fault(operator: Fireline, sandbox: Sandbox) -> None:
    assert operator.ok("sandbox", "clear").stdout == "no fault was active\n"
    operator.ok("sandbox", "fault", "upload-failures")
    operator.ok("sandbox", "fault", "extraction-errors")
    said = operator.ok("sandbox", "clear").stdout
    assert said == "cleared: upload-failures, extraction-errors\n"
    assert sandbox.platform.faults == {}


def test_the_sandbox_option_overrides_the_environment(
    fireline: Fireline, sandbox_url: str, sandbox: Sandbox
) -> None:
    fireline.ok("sandbox", "fault", "upload-failures", "--sandbox", sandbox_url)
    assert list(sandbox.platform.faults) == ["upload-failures"]


def test_an_unreachable_sandbox_exits_5_with_a_hint(fireline: Fireline, closed_port: int) -> None:
    result = fireline("sandbox", "status", "--sandbox", f"http://127.0.0.1:{closed_port}")
    assert result.exit_code == 5
    assert result.stderr.startswith(
        f"error: cannot reach the sandbox at http://127.0.0.1:{closed_port}"
    )
    assert "fireline sandbox serve" in result.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Run `python -m fireline sandbox serve --port 0`; yield its URL and what it printed.

    The server's own "Application startup complete." is the signal that it is ready.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
    with announced(
        ["sandbox", "serve", "--port", "0", "--seed", "9"],
        cwd=tmp_path,
        env=env,
        url_pattern=r"Sandbox serving on (http://127\.0\.0\.1:[1-9]\d*) ",
    ) as served_at:
        yield served_at


def test_serve_runs_the_sandbox_and_says_where(served: tuple[str, str], fireline: Fireline) -> None:
    url, said = served
    assert "(seed 9)" in said
    assert "Alerts are evaluated but not sent: pass --fireline URL to send them." in said
    assert httpx.get(f"{url}/admin/state").json()["seed"] == 9
    assert "platform_queue_depth" in httpx.get(f"{url}/metrics").text
    fireline.ok("sandbox", "fault", "extraction-errors", "--sandbox", url)
    assert [f["name"] for f in httpx.get(f"{url}/admin/state").json()["faults"]] == [
        "extraction-errors"
    ]


def test_serve_on_a_busy_port_exits_5(fireline: Fireline) -> None:
    with serving(create_app(Sandbox(clock=FakeClock(), seed=1))) as url:
        port = url.rsplit(":", 1)[1]
        result = fireline("sandbox", "serve", "--port", port)
    assert result.exit_code == 5
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")
