"""What running one automated action produced: success or not, what it said, a value."""

from __future__ import annotations

from dataclasses import dataclass

MAX_OUTPUT = 2000


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of one action; `value` is a query's first sample (None when empty)."""

    ok: bool
    output: str
    value: float | None = None
    retryable: bool = False  # failed for a reason that may pass (unreachable, 5xx)

    @classmethod
    def done(cls, output: str, *, value: float | None = None) -> ActionResult:
        """The action succeeded."""
        return cls(ok=True, output=clip(output), value=value)

    @classmethod
    def failed(cls, output: str, *, retryable: bool = False) -> ActionResult:
        """The action failed."""
        return cls(ok=False, output=clip(output), retryable=retryable)


def clip(text: str) -> str:
    """Bound an action's output for the timeline."""
    return text if len(text) <= MAX_OUTPUT else text[: MAX_OUTPUT - 1] + "…"
