"""Readiness: can the database be reached, and is its schema the one this code expects."""

from __future__ import annotations

from dataclasses import dataclass

from fireline.store import migrate
from fireline.store.db import ping
from fireline.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Readiness:
    """The outcome of each readiness check."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        """Tell whether every check passed."""
        return all(v == "ok" for v in self.checks.values())


def readiness(uow: UnitOfWork) -> Readiness:
    """Check the database and the migration state."""
    checks: dict[str, str] = {}
    problem = ping(uow.engine)
    checks["database"] = problem or "ok"
    if problem is not None:
        checks["migrations"] = "unknown"
        return Readiness(checks)
    current, head = migrate.current_revision(uow.engine), migrate.head_revision()
    checks["migrations"] = "ok" if current == head else f"at {current}, expected {head}"
    return Readiness(checks)
