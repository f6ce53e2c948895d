"""What bench/paging.py measures: a phase's figures, a run's outcome, its sizes and targets.

Also the statistics the other paging modules share (percentiles in ms, rates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paging_oncall
from harness import percentile
from paging_receiver import Receiver

ALERTMANAGER_DB = "alertmanager"
ONCALL = "oncall"


@dataclass(frozen=True)
class Phase:
    """One rate on one target: how fast alerts went out, and how long until they were paged."""

    target: str  # sqlite, postgres or alertmanager
    name: str  # e.g. 50/s
    rate: float
    alerts: int  # alerts due in the phase
    sent: int
    sent_per_s: float
    paged_per_s: float
    errors: int
    delivered: int
    missing: int
    duplicates: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    due_p99_ms: float  # from when the alert was due, i.e. counting the wait for a connection
    post_p50_ms: float
    post_p99_ms: float
    lag_max_ms: float
    server_cpu_ms: float  # per alert, paging included
    receiver_cpu_us: float  # per page
    client_cpu_s: float
    machine_busy: float
    stages: dict[str, list[float]] = field(default_factory=dict)  # name -> [p50, p99] ms


@dataclass
class Outcome:
    """Everything measured in a run."""

    phases: list[Phase] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    queries: paging_oncall.Queries | None = None
    query_wall_s: float = 0.0
    shifts: paging_oncall.ShiftTiming | None = None

    def fail(self, problem: str, times: int, example: str) -> None:
        """Count a failure (a request that failed, a page that never came)."""
        if times:
            self.errors[problem] = self.errors.get(problem, 0) + times
            self.examples.setdefault(problem, example[:300])


def ms(ordered: list[float], fraction: float) -> float:
    """Return a nearest-rank percentile of ascending seconds, in milliseconds."""
    return percentile(ordered, fraction) * 1000


def spread_ms(values: list[float]) -> list[float]:
    """Return [p50, p99] of seconds, in ms."""
    ordered = sorted(values)
    return [round(ms(ordered, 0.50), 2), round(ms(ordered, 0.99), 2)]


def rate_of(count: int, first: float, last: float) -> float:
    """Return events per second between the first and last of `count` events."""
    return (count - 1) / (last - first) if count > 1 and last > first else 0.0


@dataclass(frozen=True)
class Plan:
    """The sizes of a run, from the command line, and the receiver every phase uses."""

    rates: tuple[float, ...]
    seconds: float
    connections: int
    warmup: int
    drain_s: float
    cutoff: float
    fake: Receiver
    engine_apart: bool = False  # `fireline serve --no-engine` beside `fireline engine`
    profile: Path | None = None

    def params(self) -> dict[str, Any]:
        """The sizes that make two runs like for like."""
        return {
            "rates": list(self.rates),
            "seconds": self.seconds,
            "connections": self.connections,
            "engine": "apart" if self.engine_apart else "serve",
        }


@dataclass(frozen=True)
class Goal:
    """One of the issue's targets, with the figure measured and whether it was met."""

    name: str
    measured: str
    wanted: str
    met: bool | None
