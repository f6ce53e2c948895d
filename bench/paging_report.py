"""The report of bench/paging.py: its tables, the issue's targets and the baseline entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

import paging_oncall
from harness import console, figure
from paging_figures import ALERTMANAGER_DB, ONCALL, Goal, Outcome, Phase, Plan

# Targets of issue 4, item 7: p99 alert-to-page latency per rate, and who is on call.
PAGE_TARGETS_MS = {50.0: 50.0, 500.0: 250.0}
QUERY_TARGET_US = 1000.0
SUSTAINED = 0.95  # a rate counts as sustained when alerts were sent at 95 % of it or more


PHASE_COLUMNS = (
    "target",
    "rate",
    "alerts",
    "sent/s",
    "paged/s",
    "errors",
    "delivered",
    "missing",
    "p50 ms",
    "p99 ms",
    "max ms",
    "p99 from due",
    "POST p50/p99",
    "late max",
    "server CPU ms/alert",
    "busy",
)


LEGEND = (
    "[dim]All times in ms. p50/p99/max: POST start → page at the fake; p99 from due: from the "
    "instant the alert was due (open loop), so a wait for a free connection counts; POST: the "
    "intake request alone; late max: the latest send behind its schedule; server CPU: the "
    "server process (engine included) per alert sent; busy: both CPUs, the whole machine.[/]"
)


ONCALL_LEGEND = (
    "[dim]mean, p50, p99, max: each query timed on its own (wall clock); CPU µs: the workers' "
    "CPU time per query, building the schedules and the check included, which other processes "
    "on the machine cannot inflate.[/]"
)


def phase_row(phase: Phase, ref: dict[str, Any]) -> list[str]:
    """Format one phase, with ratios to its baseline figures."""
    return [
        phase.target,
        phase.name,
        f"{phase.alerts:,}" + (f" ({phase.sent:,} sent)" if phase.sent < phase.alerts else ""),
        figure(phase.sent_per_s, ref.get("sent_per_s"), 0),
        f"{phase.paged_per_s:,.0f}",
        f"[red]{phase.errors:,}[/]" if phase.errors else "0",
        f"{phase.delivered:,}" + (f" (+{phase.duplicates} dup.)" if phase.duplicates else ""),
        f"[red]{phase.missing:,}[/]" if phase.missing else "0",
        figure(phase.p50_ms, ref.get("p50_ms"), 1),
        figure(phase.p99_ms, ref.get("p99_ms"), 1),
        f"{phase.max_ms:,.1f}",
        f"{phase.due_p99_ms:,.1f}",
        f"{phase.post_p50_ms:,.1f} / {phase.post_p99_ms:,.1f}",
        f"{phase.lag_max_ms:,.1f}",
        f"{phase.server_cpu_ms:,.2f}",
        f"{phase.machine_busy:.0%}",
    ]


def phases_table(outcome: Outcome, baseline: dict[str, Any]) -> Table:
    """Alert-to-page latency, Fireline per database and Alertmanager, side by side."""
    table = Table(
        title="[bold]alert → page[/]: POST of the alert until the page reaches the fake receiver",
        title_justify="left",
    )
    for heading in PHASE_COLUMNS:
        table.add_column(heading, justify="left" if heading == "target" else "right", no_wrap=True)
    for phase in outcome.phases:
        ref = baseline.get(phase.target, {}).get("phases", {}).get(phase.name, {})
        table.add_row(*phase_row(phase, ref))
    return table


def stages_table(outcome: Outcome) -> Table | None:
    """Where a Fireline page's time goes, from the instants Fireline stored (p50 / p99 ms)."""
    phases = [phase for phase in outcome.phases if phase.stages]
    if not phases:
        return None
    names = list(dict.fromkeys(name for phase in phases for name in phase.stages))
    table = Table(
        title="[bold]where a page's time goes[/] (p50 / p99 ms, from the instants Fireline stores)",
        title_justify="left",
    )
    table.add_column("target")
    table.add_column("rate", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for phase in phases:
        cells = [phase.stages.get(name) for name in names]
        table.add_row(
            phase.target,
            phase.name,
            *(f"{c[0]:,.1f} / {c[1]:,.1f}" if c else "–" for c in cells),
        )
    return table


def oncall_table(outcome: Outcome, baseline: dict[str, Any]) -> Table | None:
    """Who is on call: time per query."""
    queries = outcome.queries
    if queries is None or not queries.queries:
        return None
    ref = baseline.get(ONCALL, {})
    histogram = queries.histogram
    table = Table(
        title="[bold]who is on call[/]: on_call(schedule, overrides, at=…)", title_justify="left"
    )
    for heading in (
        "schedules",
        "queries",
        "wall s",
        "mean µs",
        "CPU µs",
        "p50 µs",
        "p99 µs",
        "max µs",
        "slowest schedule, mean µs",
        "nobody on call",
        "check vs final_shifts",
    ):
        table.add_column(heading, justify="right")
    mean = queries.seconds / queries.queries * 1e6
    check = (
        f"[green]{queries.checked:,} agree[/]"
        if not queries.mismatched
        else f"[red]{queries.mismatched:,} of {queries.checked:,} differ[/]"
    )
    table.add_row(
        f"{len(queries.per_schedule_us):,}",
        f"{queries.queries:,}",
        f"{outcome.query_wall_s:,.1f}",
        figure(mean, ref.get("mean_us"), 1),
        f"{queries.cpu_s / queries.queries * 1e6:,.1f}",
        f"{paging_oncall.histogram_percentile(histogram, 0.50):,.1f}",
        figure(paging_oncall.histogram_percentile(histogram, 0.99), ref.get("p99_us"), 1),
        f"{paging_oncall.histogram_percentile(histogram, 1.0):,.0f}",
        f"{max(queries.per_schedule_us):,.1f}",
        f"{queries.nobody / queries.queries:.1%}",
        check,
    )
    return table


def shifts_line(outcome: Outcome, baseline: dict[str, Any]) -> str | None:
    """One year of final shifts: how long it took."""
    timing = outcome.shifts
    if timing is None:
        return None
    median = paging_oncall.median_ms(timing)
    ref = baseline.get(ONCALL, {}).get("shifts_ms")
    return (
        f"a year of final shifts (follow-the-sun, {timing.layers} layers: 3 restricted + base): "
        f"{timing.shifts:,} shifts in {figure(median, ref, 1)} ms "
        f"(median of {len(timing.seconds)}; fastest {min(timing.seconds) * 1000:,.1f} ms)"
    )


def goals(outcome: Outcome) -> list[Goal]:
    """The issue's targets, as measured."""
    found = []
    for phase in outcome.phases:
        limit = PAGE_TARGETS_MS.get(phase.rate)
        if phase.target == ALERTMANAGER_DB or limit is None:
            continue
        sustained = phase.sent_per_s >= SUSTAINED * phase.rate
        measured = f"{phase.p99_ms:,.1f} ms"
        if not sustained:
            measured += f" (but only {phase.sent_per_s:,.0f} alerts/s were sent)"
        met = phase.p99_ms < limit and sustained and not phase.missing
        found.append(
            Goal(
                f"{phase.target}: alert → page p99 at {phase.name}",
                measured,
                f"< {limit:g} ms",
                met,
            )
        )
    queries = outcome.queries
    if queries is not None and queries.queries:
        p99 = paging_oncall.histogram_percentile(queries.histogram, 0.99)
        mean = queries.seconds / queries.queries * 1e6
        found.append(
            Goal(
                "who is on call, per query (p99)",
                f"{p99:,.1f} µs (mean {mean:,.1f} µs)",
                f"< {QUERY_TARGET_US / 1000:g} ms",
                p99 < QUERY_TARGET_US,
            )
        )
    return found


def goals_table(outcome: Outcome) -> Table:
    """The issue's targets."""
    table = Table(title="[bold]targets[/] (issue 4, item 7)", title_justify="left")
    for heading in ("target", "measured", "wanted", "met"):
        table.add_column(heading)
    for goal in goals(outcome):
        met = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]n/a[/]"}[goal.met]
        table.add_row(goal.name, goal.measured, goal.wanted, met)
    return table


def report(outcome: Outcome, baseline: dict[str, Any], source: Path) -> None:
    """Print the tables, the notes, the failures."""
    if outcome.phases:
        console.print(phases_table(outcome, baseline))
        console.print(LEGEND, highlight=False)
    if (table := stages_table(outcome)) is not None:
        console.print(table)
    if (table := oncall_table(outcome, baseline)) is not None:
        console.print(table)
        console.print(ONCALL_LEGEND, highlight=False)
    if (line := shifts_line(outcome, baseline)) is not None:
        console.print(line, highlight=False)
    console.print(goals_table(outcome))
    for note, text in outcome.notes.items():
        console.print(f"[dim]{note}: {text}[/]", highlight=False)
    measured = {phase.target for phase in outcome.phases} | ({ONCALL} if outcome.queries else set())
    if measured & baseline.keys():
        console.print(f"[dim](n.nn×) = this run ÷ the baseline in {source}[/]", highlight=False)
    for problem, times in sorted(outcome.errors.items()):
        console.print(f"[red]{times} × {problem}[/]: {outcome.examples[problem]}", highlight=False)


def baseline_entries(outcome: Outcome, params: dict[str, Any], code: str) -> dict[str, Any]:
    """Return the figures the baseline keeps, per target."""
    entries: dict[str, Any] = {}
    for phase in outcome.phases:
        entry = entries.setdefault(phase.target, {"code": code, "params": params, "phases": {}})
        entry["phases"][phase.name] = {
            "sent_per_s": round(phase.sent_per_s, 1),
            "p50_ms": round(phase.p50_ms, 2),
            "p99_ms": round(phase.p99_ms, 2),
        }
    queries = outcome.queries
    if queries is not None and queries.queries and outcome.shifts is not None:
        entries[ONCALL] = {
            "code": code,
            "params": {"schedules": len(queries.per_schedule_us), "queries": queries.queries},
            "mean_us": round(queries.seconds / queries.queries * 1e6, 2),
            "p99_us": round(paging_oncall.histogram_percentile(queries.histogram, 0.99), 2),
            "shifts_ms": round(paging_oncall.median_ms(outcome.shifts), 2),
        }
    return entries


def comparable(baseline: dict[str, Any], outcome: Outcome, plan: Plan, code: str) -> dict[str, Any]:
    """Keep the baseline entries measured like this run (same sizes); say which are left out."""
    ours = baseline_entries(outcome, plan.params(), code)
    kept, unlike = {}, []
    for target, entry in baseline.items():
        if target in ours and entry.get("params") != ours[target]["params"]:
            unlike.append(f"{target} ({entry.get('params')})")
        else:
            kept[target] = entry
    if unlike:
        outcome.notes["baseline"] = "not compared, measured with other sizes: " + ", ".join(unlike)
    return kept
