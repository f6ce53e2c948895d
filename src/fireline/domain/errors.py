"""Domain errors: what went wrong, in words the web, CLI and engine map to their own shapes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class FirelineError(Exception):
    """The base of every error Fireline raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(FirelineError):
    """The named thing does not exist."""


class Conflict(FirelineError):
    """The request contradicts the current state (an illegal transition, a duplicate name)."""


class StaleVersion(Conflict):
    """The caller's expected version is no longer the current one."""

    def __init__(self, detail: str, *, current_version: int) -> None:
        super().__init__(detail)
        self.current_version = current_version


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad field: where it is and why it is bad."""

    field: str
    message: str


class Invalid(FirelineError):
    """The input is malformed; `errors` lists every bad field, not only the first."""

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        self.errors = tuple(errors)
        summary = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(detail or f"invalid input: {summary}")


class Malformed(FirelineError):
    """The request body is not what its content type says (e.g. broken JSON)."""


class TooLarge(FirelineError):
    """The request body is larger than the endpoint accepts."""


class Unauthenticated(FirelineError):
    """No credentials, or credentials that match no live token."""


class Forbidden(FirelineError):
    """The caller is known but their role does not allow the action."""


class Unavailable(FirelineError):
    """A dependency (the database) cannot be reached now; the caller may retry."""


class TransientConflict(Unavailable):
    """Concurrent transactions collided (a deadlock); running the whole unit again may work."""
