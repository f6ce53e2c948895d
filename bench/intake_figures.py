"""What bench/intake.py measures: each phase's figures, the checks, a database's result.

Also the names of the phases, the server under load (`Target`) and the sizes of a run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from harness import Served
from load import Run

ONE_C16, ONE_C64, BATCHES, STORM = "one-c16", "one-c64", "batch", "storm"
NEW_INCIDENT, EMPTY, PREFILLED, ALERTMANAGER = (
    "new-incident",
    "empty-c16",
    "prefilled-c16",
    "alertmanager-c64",
)


@dataclass(frozen=True)
class Phase:
    """The figures of one load: throughput, latency and who used the CPU."""

    name: str
    target: str
    alerts: int
    requests: int
    concurrency: int
    errors: int
    wall_s: float
    alerts_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_s: float
    server_cpu_s: float
    machine_busy: float
    extra: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A correctness check of the run, e.g. 'exactly 200 open alerts after the storm'."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Goal:
    """One of the issue's targets, with the figure measured and whether it was met."""

    name: str
    measured: str
    wanted: str
    met: bool | None  # None: not measured in this run


@dataclass
class Result:
    """Everything measured on one database."""

    database: str
    params: dict[str, int | str]
    phases: dict[str, Phase] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def add(self, phase: Phase, run: Run) -> None:
        """Keep a phase's figures and its failures."""
        self.phases[phase.name] = phase
        for problem, times in run.samples.errors.items():
            key = f"{phase.name}: {problem}"
            self.errors[key] = self.errors.get(key, 0) + times
            self.examples.setdefault(key, run.samples.examples[problem])


@dataclass(frozen=True)
class Target:
    """A server under load: where it listens and which process to charge CPU to."""

    name: str
    host: str
    port: int
    pid: int

    @classmethod
    def of(cls, name: str, served: Served) -> Target:
        """Describe a server started by the harness."""
        return cls(name, "127.0.0.1", served.port, served.process.pid)


@dataclass(frozen=True)
class Plan:
    """The sizes of a run, from the command line."""

    alerts: int
    flat_alerts: int
    prefill: int
    sample: int
    sample_concurrency: int
    groups: int
    batch_size: int
    batch_concurrency: int
    storm_keys: int
    client: str
    workers: int  # `fireline serve --workers`
    alertmanager: str | None  # its executable; None when it is not installed
    profile: Path | None = None  # where py-spy profiles of Fireline's phases go

    def params(self) -> dict[str, int | str]:
        """The sizes, the client and the workers (a baseline is like for like when they match).

        One worker is left out, as baselines from before the option had it.
        """
        left_out = {"alertmanager", "profile"} | ({"workers"} if self.workers == 1 else set())
        return {k: v for k, v in asdict(self).items() if k not in left_out}
