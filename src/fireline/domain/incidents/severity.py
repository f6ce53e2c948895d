"""Severity levels, SEV1 (worst) to SEV5."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How bad an incident is; SEV1 is the worst."""

    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"
    SEV4 = "SEV4"
    SEV5 = "SEV5"

    @property
    def rank(self) -> int:
        """Return 1 for SEV1 (worst) up to 5 for SEV5."""
        return int(self.value[3:])

    def is_worse_than(self, other: Severity) -> bool:
        """Tell whether this severity is strictly worse than `other`."""
        return self.rank < other.rank
