"""A `shell` runbook action: one allowlisted program run with an argv, never through a shell."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from datetime import timedelta

from fireline.domain.automation import ActionResult


def run_command(argv: Sequence[str], *, timeout: timedelta) -> ActionResult:
    """Run `argv` (already checked against the allowlist); success is exit status 0."""
    try:
        done = subprocess.run(  # argv only, checked against the allowlist first
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout.total_seconds(),
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        return ActionResult.failed(f"{argv[0]}: no such program")
    except subprocess.TimeoutExpired:
        return ActionResult.failed(f"{argv[0]} did not finish within {timeout}")
    said = (done.stdout + done.stderr).strip()
    if done.returncode == 0:
        return ActionResult.done(said or "exit 0")
    return ActionResult.failed(f"exit {done.returncode}: {said}")
