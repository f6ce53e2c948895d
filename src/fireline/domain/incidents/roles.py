"""Incident roles: one commander, communications lead and scribe; any number of responders."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from fireline.domain.errors import Conflict


class Role(StrEnum):
    """A role a person holds on one incident."""

    COMMANDER = "commander"
    COMMUNICATIONS_LEAD = "communications_lead"
    SCRIBE = "scribe"
    RESPONDER = "responder"


@dataclass(frozen=True, slots=True)
class Roles:
    """Who holds which role on an incident."""

    commander: str | None = None
    communications_lead: str | None = None
    scribe: str | None = None
    responders: tuple[str, ...] = ()

    def assign(self, role: Role, person: str) -> Roles:
        """Return roles with `person` in `role`; a single-holder role changes hands."""
        if role is Role.RESPONDER:
            if person in self.responders:
                raise Conflict(f"{person} is already a responder")
            return replace(self, responders=(*self.responders, person))
        if getattr(self, role.value) == person:
            raise Conflict(f"{person} is already {role.value}")
        changes: dict[str, Any] = {role.value: person}
        return replace(self, **changes)

    def unassign(self, role: Role, person: str) -> Roles:
        """Return roles without `person` in `role`, or raise Conflict if they do not hold it."""
        if role is Role.RESPONDER:
            if person not in self.responders:
                raise Conflict(f"{person} is not a responder")
            return replace(self, responders=tuple(p for p in self.responders if p != person))
        if getattr(self, role.value) != person:
            raise Conflict(f"{person} is not {role.value}")
        cleared: dict[str, Any] = {role.value: None}
        return replace(self, **cleared)

    def holder(self, role: Role) -> str | None:
        """Return who holds a single-holder role, if anyone."""
        value: str | None = getattr(self, role.value)
        return value

    def to_dict(self) -> dict[str, Any]:
        """Return the roles as plain JSON-ready data."""
        return {
            "commander": self.commander,
            "communications_lead": self.communications_lead,
            "scribe": self.scribe,
            "responders": list(self.responders),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Roles:
        """Rebuild roles stored by `to_dict`."""
        data = data or {}
        return cls(
            commander=data.get("commander"),
            communications_lead=data.get("communications_lead"),
            scribe=data.get("scribe"),
            responders=tuple(data.get("responders") or ()),
        )
