"""Naming the version of a config file: its Git commit when committed as it is, else its hash."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

GIT_TIMEOUT_S = 5.0


def revision_of(path: Path, content: bytes) -> str:
    """Return the commit that last changed `path` if the file is committed unchanged in a Git
    work tree, else `sha256:<hex>` of `content` (the bytes that were read)."""
    commit = _git_commit(path)
    return commit or f"sha256:{hashlib.sha256(content).hexdigest()}"


def _git_commit(path: Path) -> str | None:
    log = _git(path, "log", "-n1", "--format=%H")
    if not log:
        return None  # not in a work tree, untracked, or Git is missing
    status = _git(path, "status", "--porcelain")
    # Any status line (modified, staged, …) means the file is not what the commit holds.
    return log if status == "" else None


def _git(path: Path, *command: str) -> str | None:
    # Variables such as GIT_DIR (set inside Git hooks) would point Git at another repository.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    try:
        done = subprocess.run(
            ["git", "-C", str(path.parent), *command, "--", path.name],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
