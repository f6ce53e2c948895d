"""The revision of a config file: the Git commit when committed unchanged, else its hash."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from fireline.services.configfile import load_config
from fireline.services.configfile.revision import revision_of

CONFIG = """\
services:
  - name: monitoring
    team: sre
    tier: 2
"""

GIT = [
    "git",
    *("-c", "user.name=Fireline Tests", "-c", "user.email=tests@fireline.invalid"),
    *("-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"),
]

Git = Callable[..., str]


@pytest.fixture
def git(tmp_path: Path) -> Git:
    """Run git in a new repository under tmp_path, as a user of its own; return its output."""
    repo = tmp_path / "repo"
    repo.mkdir()

    def run(*args: str) -> str:
        done = subprocess.run(
            [*GIT, *args],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return done.stdout.strip()

    run("init", "--quiet")
    return run


def _sha256(path: Path) -> str:
    return f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"


def test_outside_git_the_revision_is_the_content_hash(tmp_path: Path) -> None:
    path = tmp_path / "fireline.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    assert load_config(path).revision == _sha256(path)
    other = b"services: []\n"
    assert revision_of(path, other) == f"sha256:{hashlib.sha256(other).hexdigest()}"


def test_a_committed_file_has_the_commit_that_last_changed_it(tmp_path: Path, git: Git) -> None:
    path = tmp_path / "repo" / "fireline.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    git("add", "fireline.yaml")
    git("commit", "--quiet", "-m", "config")
    committed = git("rev-parse", "HEAD")
    assert load_config(path).revision == committed

    (tmp_path / "repo" / "README.md").write_text("other work\n")
    git("add", "README.md")
    git("commit", "--quiet", "-m", "unrelated")
    assert git("rev-parse", "HEAD") != committed
    assert load_config(path).revision == committed


def test_an_untracked_changed_or_staged_file_has_the_content_hash(tmp_path: Path, git: Git) -> None:
    path = tmp_path / "repo" / "fireline.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    assert load_config(path).revision == _sha256(path)  # untracked
    git("add", "fireline.yaml")
    assert load_config(path).revision == _sha256(path)  # staged, never committed
    git("commit", "--quiet", "-m", "config")
    path.write_text(CONFIG.replace("tier: 2", "tier: 3"), encoding="utf-8")
    assert load_config(path).revision == _sha256(path)  # changed
    git("add", "fireline.yaml")
    assert load_config(path).revision == _sha256(path)  # staged


def test_without_git_on_the_path_the_revision_is_the_content_hash(
    tmp_path: Path, git: Git, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "repo" / "fireline.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    git("add", "fireline.yaml")
    git("commit", "--quiet", "-m", "config")
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    assert load_config(path).revision == _sha256(path)
