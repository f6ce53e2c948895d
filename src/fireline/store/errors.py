"""Turn database exceptions into domain errors, by constraint name where it matters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from fireline.domain.errors import Conflict, TransientConflict, Unavailable

_CONSTRAINTS = {
    "uq_api_tokens_name": "a token with that name already exists (names are never reused)",
    "uq_services_name": "a service with that name already exists",
    "uq_timeline_events_incident_id_seq": "the incident changed meanwhile; try again",
    "api_tokens.name": "a token with that name already exists (names are never reused)",
    "services.name": "a service with that name already exists",
    "timeline_events.incident_id, timeline_events.seq": "the incident changed meanwhile; try again",
}


def describe_integrity(error: IntegrityError) -> str:
    """Return what a violated constraint means to the caller."""
    text = str(error.orig)
    for name, meaning in _CONSTRAINTS.items():
        if name in text:
            return meaning
    return "the change conflicts with stored data"


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise database errors as Conflict (constraints) or Unavailable (connection)."""
    try:
        yield
    except IntegrityError as error:
        raise Conflict(describe_integrity(error)) from error
    except OperationalError as error:
        if _is_deadlock(error):
            raise TransientConflict("concurrent changes collided; retry") from error
        if _is_lock_timeout(error):
            raise Unavailable("the database is busy; retry shortly") from error
        raise Unavailable("the database cannot be reached; retry shortly") from error
    except DBAPIError as error:
        if error.connection_invalidated:
            raise Unavailable("the database connection was lost; retry shortly") from error
        raise


def _is_deadlock(error: OperationalError) -> bool:
    # PostgreSQL SQLSTATE 40P01 (deadlock_detected) and 40001 (serialization_failure).
    return getattr(error.orig, "sqlstate", None) in {"40P01", "40001"}


def _is_lock_timeout(error: OperationalError) -> bool:
    return "locked" in str(error.orig).lower()
