"""What an engine module is: named work that runs once per tick."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from fireline.services.container import Container


class EngineModule(Protocol):
    """A unit of background work; `run_once` returns how many things it did."""

    name: str

    def run_once(self, container: Container, *, now: datetime) -> int:
        """Do the work that is due at `now`."""
        ...
