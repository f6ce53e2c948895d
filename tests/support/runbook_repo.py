"""Runbook repositories for tests: real Git repositories in temp dirs, committed with dulwich."""

from __future__ import annotations

from pathlib import Path

from dulwich import porcelain


def commit_files(path: Path, files: dict[str, str], *, message: str = "Update runbooks") -> str:
    """Write `files` into the repository at `path` (made if needed), commit, return the sha."""
    path.mkdir(parents=True, exist_ok=True)
    if not (path / ".git").exists():
        porcelain.init(str(path))
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    porcelain.add(str(path), paths=[str(path / name) for name in files])
    sha = porcelain.commit(
        str(path),
        message=message.encode(),
        author=b"Test Author <test@example.com>",
        committer=b"Test Author <test@example.com>",
    )
    return sha.decode("ascii")
