"""The report of bench/intake.py: its tables, the issue's targets and the baseline entries."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.table import Table

from harness import console, figure
from intake_figures import (
    ALERTMANAGER,
    BATCHES,
    EMPTY,
    NEW_INCIDENT,
    ONE_C16,
    ONE_C64,
    PREFILLED,
    Goal,
    Phase,
    Result,
)

# Targets of issue 3, item 9.
BATCH_TARGET = 10_000.0
P99_TARGET_MS = 50.0
FLAT_TARGET = 1.2


def ratio_goal(result: Result) -> Goal:
    """Fireline's one-per-request rate at concurrency 64 against Alertmanager's."""
    name = "one per request, c64: Fireline ÷ Alertmanager"
    ours, theirs = result.phases.get(ONE_C64), result.phases.get(ALERTMANAGER)
    if ours is None or theirs is None or not theirs.alerts_per_s:
        return Goal(name, "Alertmanager not measured", "≥ 1.00×", None)
    ratio = ours.alerts_per_s / theirs.alerts_per_s
    measured = f"{ours.alerts_per_s:,.0f} ÷ {theirs.alerts_per_s:,.0f} alerts/s = {ratio:.2f}×"
    return Goal(name, measured, "≥ 1.00×", ratio >= 1.0)


def batch_goal(result: Result) -> Goal:
    """Batches reach 10,000 alerts/s."""
    found = result.phases.get(BATCHES)
    name = f"batches of {result.params['batch_size']}"
    if found is None:
        return Goal(name, "not measured", f"≥ {BATCH_TARGET:,.0f} alerts/s", None)
    measured = f"{found.alerts_per_s:,.0f} alerts/s"
    return Goal(
        name, measured, f"≥ {BATCH_TARGET:,.0f} alerts/s", found.alerts_per_s >= BATCH_TARGET
    )


def p99_goal(result: Result) -> Goal:
    """p99 request latency at concurrency 16 under 50 ms."""
    found = result.phases.get(ONE_C16)
    if found is None:
        return Goal("p99 at c16", "not measured", f"< {P99_TARGET_MS:.0f} ms", None)
    return Goal(
        "p99 at c16",
        f"{found.p99_ms:,.1f} ms",
        f"< {P99_TARGET_MS:.0f} ms",
        found.p99_ms < P99_TARGET_MS,
    )


def flat_goal(result: Result) -> Goal:
    """Latency with the prefilled table within 1.2× of the empty one (p50; p99 shown)."""
    name = f"latency at {result.params['prefill']:,} stored alerts ÷ empty"
    full, empty = result.phases.get(PREFILLED), result.phases.get(EMPTY)
    if full is None or empty is None or not empty.p50_ms:
        return Goal(name, "not measured (--prefill 0)", f"p50 ≤ {FLAT_TARGET}×", None)
    p50, p99 = full.p50_ms / empty.p50_ms, full.p99_ms / max(empty.p99_ms, 1e-9)
    measured = (
        f"p50 {p50:.2f}× (p99 {p99:.2f}×, alerts/s {full.alerts_per_s / empty.alerts_per_s:.2f}×)"
    )
    return Goal(name, measured, f"p50 ≤ {FLAT_TARGET}×", p50 <= FLAT_TARGET)


def goals(result: Result) -> list[Goal]:
    """The issue's targets, as measured in `result`."""
    return [ratio_goal(result), batch_goal(result), p99_goal(result), flat_goal(result)]


def phase_row(phase: Phase, ref: dict[str, Any]) -> list[str]:
    """Format one phase as a table row, with ratios to its baseline figures."""
    return [
        phase.name,
        f"{phase.alerts:,}",
        f"{phase.requests:,}",
        str(phase.concurrency),
        f"[red]{phase.errors:,}[/]" if phase.errors else "0",
        figure(phase.alerts_per_s, ref.get("alerts_per_s"), 0),
        figure(phase.p50_ms, ref.get("p50_ms"), 1),
        figure(phase.p99_ms, ref.get("p99_ms"), 1),
        f"{phase.max_ms:,.0f}",
        f"{phase.client_cpu_s:,.2f} ({phase.client_cpu_s / max(1, phase.requests) * 1e6:,.0f})",
        f"{phase.server_cpu_s / max(1, phase.alerts) * 1e3:,.2f}",
        f"{phase.machine_busy:.0%}",
    ]


COLUMNS = (
    "phase",
    "alerts",
    "requests",
    "conc.",
    "errors",
    "alerts/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "client CPU s (µs/req)",
    "server CPU ms/alert",
    "CPUs busy",
)


def table_of(result: Result, baseline: dict[str, Any] | None) -> Table:
    """Build the Rich table of one database's phases."""
    table = Table(title=f"[bold]{result.database}[/]", title_justify="left")
    for heading in COLUMNS:
        table.add_column(heading, justify="left" if heading == "phase" else "right", no_wrap=True)
    refs = (baseline or {}).get("phases", {})
    for phase in result.phases.values():
        table.add_row(*phase_row(phase, refs.get(phase.name, {})))
    return table


def goals_table(result: Result) -> Table:
    """Build the table of the issue's targets."""
    table = Table(
        title=f"[bold]{result.database}[/]: targets (issue 3, item 9)", title_justify="left"
    )
    for heading in ("target", "measured", "wanted", "met"):
        table.add_column(heading)
    for goal in goals(result):
        met = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]n/a[/]"}[goal.met]
        table.add_row(goal.name, goal.measured, goal.wanted, met)
    return table


def report(result: Result, baseline: dict[str, Any] | None, source: Path) -> None:
    """Print one database's tables, notes, checks and errors."""
    console.print(table_of(result, baseline))
    sample = result.phases.get(NEW_INCIDENT)
    if sample is not None and sample.extra:
        console.print(
            f"{NEW_INCIDENT}: alerts that each open an incident, {sample.concurrency} at a time. "
            f"POST p50 {sample.p50_ms:.1f} ms, p99 {sample.p99_ms:.1f} ms: intake answers only "
            "after the commit, so this is the time until the incident is committed. "
            "POST until GET /api/v1/incidents lists it: "
            f"p50 {sample.extra.get('visible_p50_ms', 0):.1f} ms, "
            f"p99 {sample.extra.get('visible_p99_ms', 0):.1f} ms.",
            highlight=False,
        )
    console.print(goals_table(result))
    for note, text in result.notes.items():
        console.print(f"[dim]{note}: {text}[/]", highlight=False)
    for check in result.checks:
        mark = "[green]ok[/]" if check.ok else "[bold red]FAILED[/]"
        console.print(f"check {check.name}: {mark} ({check.detail})", highlight=False)
    compare_note(result, baseline, source)
    for problem, times in sorted(result.errors.items()):
        console.print(f"[red]{times} × {problem}[/]: {result.examples[problem]}", highlight=False)


def compare_note(result: Result, baseline: dict[str, Any] | None, source: Path) -> None:
    """Say what the (n.nn×) ratios compare with."""
    if baseline is None:
        console.print("[dim]no baseline for this database[/]")
    elif baseline.get("params") != result.params:
        console.print(
            f"[yellow]the baseline was measured with {baseline.get('params')}: "
            "ratios are not like for like[/]",
            highlight=False,
        )
    else:
        console.print(f"[dim](n.nn×) = this run ÷ the baseline in {source}[/]", highlight=False)


def baseline_entry(result: Result) -> dict[str, Any]:
    """Return the figures of `result` that the baseline keeps."""
    return {
        "params": result.params,
        "phases": {
            name: {
                "alerts_per_s": round(p.alerts_per_s, 1),
                "p50_ms": round(p.p50_ms, 2),
                "p99_ms": round(p.p99_ms, 2),
            }
            for name, p in result.phases.items()
        },
    }


def result_json(result: Result) -> dict[str, Any]:
    """Return the result as plain JSON data, with the targets."""
    return {**asdict(result), "goals": [asdict(g) for g in goals(result)]}
