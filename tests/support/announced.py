"""Run a `python -m fireline …` server as a real process until it says where it serves.

Uvicorn's own "Application startup complete." is the signal that it is ready: nothing polls or
sleeps. The process is stopped when the block ends.
"""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

START_TIMEOUT_S = 60.0
READY = "Application startup complete."


@contextmanager
def announced(
    args: list[str], *, cwd: Path, env: Mapping[str, str], url_pattern: str, servers: int = 1
) -> Iterator[tuple[str, str]]:
    """Start `python -m fireline *args`; yield the URL it announced and all it printed so far.

    `servers`: how many uvicorn servers (worker processes) must say they started.
    """
    command = [sys.executable, "-m", "fireline", *args]
    with subprocess.Popen(
        command,
        cwd=cwd,
        env={**env, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line)
            lines.put(None)

        reader = threading.Thread(target=pump, name="server-output", daemon=True)
        reader.start()
        try:
            said = _until_ready(lines, process, name=" ".join(args[:1]), servers=servers)
            found = re.search(url_pattern, said)
            assert found is not None, said
            yield found.group(1), said
        finally:
            process.terminate()
            process.wait(timeout=30)
            reader.join(timeout=30)


def _until_ready(
    lines: queue.Queue[str | None], process: subprocess.Popen[str], *, name: str, servers: int
) -> str:
    said = ""
    while said.count(READY) < servers:
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"fireline {name} said nothing new for {START_TIMEOUT_S}s:\n{said}")
        if line is None:
            pytest.fail(f"fireline {name} exited {process.wait()}:\n{said}")
        said += line
    return said
