"""The runbook repository named by the live configuration, opened once per path."""

from __future__ import annotations

import threading
from pathlib import Path

from fireline.domain.configuration import Configuration, RunbookSettings
from fireline.domain.errors import NotFound
from fireline.runbooks.repo import Revision, RunbookAt, RunbookRepo

_lock = threading.Lock()
_open: dict[tuple[Path, str], RunbookRepo] = {}


def settings_of(config: Configuration | None) -> RunbookSettings:
    """Return the runbook settings, or say how to configure them."""
    if config is None or config.runbooks is None:
        raise NotFound("no runbooks are configured: add a runbooks section (repository: PATH)")
    return config.runbooks


def repo_for(settings: RunbookSettings) -> RunbookRepo:
    """Return the repository at `settings.repository` (relative to the working directory)."""
    key = (Path(settings.repository).resolve(), settings.directory)
    with _lock:
        repo = _open.get(key)
        if repo is None:
            repo = _open[key] = RunbookRepo(key[0], subdir=settings.directory)
        return repo


def list_runbooks(config: Configuration | None, *, at: str | None) -> list[RunbookAt]:
    """Every runbook at commit `at` (HEAD by default)."""
    return repo_for(settings_of(config)).list_(at=at)


def show_runbook(config: Configuration | None, runbook_id: str, *, at: str | None) -> RunbookAt:
    """One runbook at commit `at` (HEAD by default); NotFound if it does not exist there."""
    return repo_for(settings_of(config)).get(runbook_id, at=at)


def runbook_history(config: Configuration | None, runbook_id: str, *, limit: int) -> list[Revision]:
    """The commits that changed a runbook, newest first."""
    return repo_for(settings_of(config)).log(runbook_id, limit=limit)
