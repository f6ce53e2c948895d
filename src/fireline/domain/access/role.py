"""Access roles, weakest first: each role may do everything the ones before it may."""

from __future__ import annotations

from enum import StrEnum

from fireline.domain.errors import Forbidden


class AccessRole(StrEnum):
    """What an API token may do."""

    VIEWER = "viewer"
    RESPONDER = "responder"
    COMMANDER = "commander"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Return the role's strength: viewer 0 up to admin 3."""
        return list(AccessRole).index(self)

    def covers(self, needed: AccessRole) -> bool:
        """Tell whether this role is at least as strong as `needed`."""
        return self.rank >= needed.rank


def require(held: AccessRole, needed: AccessRole, *, action: str) -> None:
    """Raise Forbidden unless `held` covers `needed`."""
    if not held.covers(needed):
        raise Forbidden(f"{action} needs the {needed.value} role; this token is {held.value}")
