"""The engine `fireline serve` supervises: restarted when it dies, stopped when asked."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from fireline.cli.engine_process import EngineProcess

TIMEOUT_S = 60.0


def _eventually(condition: Callable[[], bool]) -> None:
    """Wait for another process to make `condition` true (it has no way to tell us)."""
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_engine_that_dies_is_replaced_and_the_last_one_stops_with_the_server(
    db_url: str,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
    env |= {"FIRELINE_DATABASE_URL": db_url, "FIRELINE_ENGINE_INTERVAL_S": "3600"}
    child = EngineProcess(env, stop_timeout_s=30)
    first = child.start()
    try:
        assert child.pid == first
        os.kill(first, signal.SIGKILL)
        _eventually(lambda: child.pid not in (None, first))
        second = child.pid
        assert second is not None
        assert _alive(second)
    finally:
        child.stop()
    assert not _alive(second)  # stopped, and reaped: not even a zombie is left
    assert child.pid == second  # no third engine was started while stopping
