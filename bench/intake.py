"""Benchmark alert intake over HTTP against Fireline servers of its own, beside Alertmanager.

For each `--spawn sqlite` / `--spawn postgres` it starts `fireline serve` on a fresh database
and sends Alertmanager webhooks to `/integrations/alertmanager/{key}`: distinct alerts one per
request at concurrency 16 and 64, batches of 100, a dedup storm over 200 keys, and alerts that
open incidents (timed until the incident is listed). A real Alertmanager, on the same
machine in the same run, gets the same one-per-request load on `POST /api/v2/alerts`. Then a
second server starts on a database prefilled with `--prefill` alerts, to compare latency
with the empty table. It prints a table per database and the issue's targets, compares with
`bench/baseline-intake.json`, and exits 1 if any request or check failed.

    .venv/bin/python bench/intake.py --spawn sqlite --spawn postgres
    .venv/bin/python bench/intake.py --spawn sqlite --alerts 2000 --prefill 100000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
from rich.table import Table

import database
import spy
from alertmanager_server import alertmanager, binary, version
from harness import (
    DEFAULT_POSTGRES_URL,
    BenchError,
    Served,
    busy_between,
    console,
    cpu_sample,
    figure,
    fresh_database,
    interrupt,
    load_baseline,
    percentile,
    prepare,
    process_cpu_s,
    server_env,
    serving,
    source_state,
    store_baseline,
    unreachable,
    warn_if_busy,
)
from load import CLIENTS, Connection, Run, Samples, Step, drive, send_each, timed
from workload import (
    api_v2_body,
    distinct_labels,
    http_get,
    http_post,
    new_incident_labels,
    rfc3339,
    storm_labels,
    webhook_alert,
    webhook_body,
)

BASELINE_PATH = Path(__file__).resolve().parent / "baseline-intake.json"
ALERTMANAGER_KEY = "bench-alertmanager-key-0001"
STORM_KEY = "bench-storm-key-0001"
GENERIC_KEY = "bench-generic-key-0001"
STORM_INTEGRATION = "storm"
MAIN_INTEGRATION = "prometheus"
NEW_SERVICE = "bench-new"
CONFIG_YAML = f"""\
# Written by bench/intake.py. Routing like examples/fireline.yaml: a few rules first, then
# the benchmark's own; storm alerts match none and go to the catch-all service.
services:
  - name: bench
    team: benchmarks
    tier: 2
    regions: [eu-west-1, us-east-1]
    description: Alerts of bench/intake.py.
  - name: {NEW_SERVICE}
    team: benchmarks
    tier: 2
    regions: [eu-west-1, us-east-1]
    description: Incidents opened by bench/intake.py's POST-to-incident sample.
  - name: bench-catch-all
    team: benchmarks
    tier: 3
    regions: [eu-west-1, us-east-1]
    description: Alerts no rule matches.
integrations:
  - name: {MAIN_INTEGRATION}
    kind: alertmanager
    key: {ALERTMANAGER_KEY}
  - name: {STORM_INTEGRATION}
    kind: alertmanager
    key: {STORM_KEY}
  - name: api
    kind: generic
    key: {GENERIC_KEY}
routing:
  catch_all_service: bench-catch-all
  on_resolved: resolve
  defaults:
    severity: >-
      {{% if labels.severity == 'critical' %}}{{{{ 'SEV2' if labels.region else 'SEV1' }}}}
      {{%- elif labels.severity == 'warning' %}}SEV3{{% else %}}SEV4{{% endif %}}
  rules:
    - name: queue-saturated
      match: ['alertname="QueueSaturated"']
      service: bench
      runbook: runbooks/queue-saturation.md
    - name: upload-failures
      match: ['alertname="UploadFailures"']
      service: bench
      runbook: runbooks/upload-failures.md
    - name: watchdog
      match: ['alertname="Watchdog"']
      service: bench-catch-all
    - name: new-incidents
      match: ['alertname=~"BenchNew.+"']
      service: {NEW_SERVICE}
      runbook: "https://runbooks.bench.internal/{{{{ labels.alertname | lower }}}}"
    - name: bench
      match: ['alertname=~"Bench.+"', 'team="benchmarks"']
      service: bench
      runbook: "https://runbooks.bench.internal/{{{{ labels.alertname | lower }}}}"
maintenance: []
heartbeats:
  - name: alertmanager-watchdog
    interval: 1h
    service: bench-catch-all
    match: ['alertname="Watchdog"']
"""
ONE_C16, ONE_C64, BATCHES, STORM = "one-c16", "one-c64", "batch", "storm"
NEW_INCIDENT, EMPTY, PREFILLED, ALERTMANAGER = (
    "new-incident",
    "empty-c16",
    "prefilled-c16",
    "alertmanager-c64",
)
# Targets of issue 3, item 9.
BATCH_TARGET = 10_000.0
P99_TARGET_MS = 50.0
FLAT_TARGET = 1.2
LIST_LIMIT = 500
REPORT_WIDTH = 200


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

    def to_json(self) -> dict[str, Any]:
        """Return the result as plain JSON data, with the targets."""
        return {**asdict(self), "goals": [asdict(g) for g in goals(self)]}


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


# --- measuring one phase --------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What a phase sends: `jobs` steps on `concurrency` connections, `alerts` in all."""

    name: str
    jobs: int
    alerts: int
    concurrency: int
    step: Step
    series: str = "post"
    derived: tuple[str, ...] = ()  # series that time more than one request


def spread(latencies: dict[str, list[float]], series: str) -> tuple[float, float, float]:
    """Return p50, p99 and max of one series, in milliseconds."""
    ordered = sorted(latencies.get(series, []))
    top = ordered[-1] if ordered else 0.0
    return percentile(ordered, 0.50) * 1000, percentile(ordered, 0.99) * 1000, top * 1000


def measure(target: Target, load: Load, client: str) -> tuple[Phase, Run]:
    """Run one load against `target` with `client` connections and reduce it to a Phase."""
    server_before, machine_before = process_cpu_s(target.pid), cpu_sample()
    run = drive((target.host, target.port), load.jobs, load.concurrency, load.step, client)
    server_cpu = process_cpu_s(target.pid) - server_before
    latencies = run.samples.latencies
    p50, p99, top = spread(latencies, load.series)
    extra: dict[str, float] = {}
    for series in latencies.keys() - {load.series}:
        extra[f"{series}_p50_ms"], extra[f"{series}_p99_ms"], _ = spread(latencies, series)
    phase = Phase(
        name=load.name,
        target=target.name,
        alerts=load.alerts,
        requests=sum(len(v) for k, v in latencies.items() if k not in load.derived),
        concurrency=load.concurrency,
        errors=sum(run.samples.errors.values()),
        wall_s=run.wall_s,
        alerts_per_s=load.alerts / run.wall_s if run.wall_s > 0 else 0.0,
        p50_ms=p50,
        p99_ms=p99,
        max_ms=top,
        client_cpu_s=run.client_cpu_s,
        server_cpu_s=server_cpu,
        machine_busy=busy_between(machine_before, cpu_sample()),
        extra=extra,
    )
    return phase, run


def write_summary(stacks: Path) -> None:
    """Summarize a py-spy recording next to it."""
    if stacks.exists():
        stacks.with_suffix(".summary.txt").write_text(spy.summary(stacks) + "\n", encoding="utf-8")


def announce(database_name: str, load: Load) -> None:
    """Say what is about to run, so that a long run shows progress."""
    console.print(
        f"[dim]{database_name}: {load.name}: {load.alerts:,} alerts in {load.jobs:,} "
        f"requests, concurrency {load.concurrency}…[/]",
        highlight=False,
    )


# --- the loads ------------------------------------------------------------------------------


def webhook_path(key: str) -> str:
    """Return the Alertmanager intake path of an integration key."""
    return f"/integrations/alertmanager/{key}"


def one_per_request(
    target: Target, name: str, prefix: str, *, count: int, concurrency: int, groups: int
) -> Load:
    """Distinct alerts, each in a webhook of its own, spread over `groups` group keys.

    `prefix` makes the instances unique; two phases with the same prefix send the same alerts.
    """
    starts_at = rfc3339(now())
    path = webhook_path(ALERTMANAGER_KEY)
    requests = [
        http_post(
            target.host,
            path,
            webhook_body([webhook_alert(distinct_labels(prefix, i, i % groups), starts_at)]),
        )
        for i in range(count)
    ]
    return Load(name, count, count, concurrency, send_each(requests, "post"))


def batches(target: Target, *, count: int, size: int, concurrency: int, groups: int) -> Load:
    """Distinct alerts in webhooks of `size`, each webhook one group (alertname and region)."""
    starts_at = rfc3339(now())
    path = webhook_path(ALERTMANAGER_KEY)
    requests = []
    for batch in range(math.ceil(count / size)):
        indexes = range(batch * size, min(count, (batch + 1) * size))
        alerts = [
            webhook_alert(distinct_labels(BATCHES, i, batch % groups), starts_at) for i in indexes
        ]
        requests.append(http_post(target.host, path, webhook_body(alerts)))
    return Load(BATCHES, len(requests), count, concurrency, send_each(requests, "post"))


def storm(target: Target, *, count: int, keys: int, concurrency: int) -> Load:
    """`count` alerts over only `keys` distinct label sets: all but `keys` are repeats."""
    starts_at = rfc3339(now())
    path = webhook_path(STORM_KEY)
    distinct = [
        http_post(target.host, path, webhook_body([webhook_alert(storm_labels(k), starts_at)]))
        for k in range(keys)
    ]

    def step(connection: Connection, index: int, samples: Samples) -> None:
        timed(connection, distinct[index % keys], samples, "post")

    return Load(STORM, count, count, concurrency, step)


def new_incidents(target: Target, *, count: int, concurrency: int, token: str) -> Load:
    """Alerts that each open an incident, timed from the POST until the incident is listed.

    The listing asks for the newest incidents of their service; if the new one is not on that
    page (others were opened meanwhile), one longer page is asked for before calling it lost.
    """
    starts_at = rfc3339(now())
    run = f"{int(time.perf_counter() * 1000) % 1_000_000:06d}"
    path = webhook_path(ALERTMANAGER_KEY)
    posts = [
        http_post(
            target.host, path, webhook_body([webhook_alert(new_incident_labels(i, run), starts_at)])
        )
        for i in range(count)
    ]
    auth = {"Authorization": f"Bearer {token}"}
    pages = [
        http_get(target.host, f"/api/v1/incidents?service={NEW_SERVICE}&limit={limit}", auth)
        for limit in (max(10, 2 * concurrency), LIST_LIMIT)
    ]

    def step(connection: Connection, index: int, samples: Samples) -> None:
        started = time.perf_counter()
        answer = timed(connection, posts[index], samples, "post")
        opened = orjson.loads(answer).get("opened") if answer is not None else None
        if answer is not None and (not opened or len(opened) != 1):
            samples.fail("post opened no incident", answer.decode("utf-8", "replace"))
        if not opened:
            return
        for page in pages:
            listed = timed(connection, page, samples, "list")
            if listed is None:
                return
            if opened[0] in {item["ref"] for item in orjson.loads(listed)["items"]}:
                samples.add("visible", time.perf_counter() - started)
                return
        samples.fail("incident not listed after the POST's 200", opened[0])

    return Load(NEW_INCIDENT, count, count, concurrency, step, derived=("visible",))


def alertmanager_load(target: Target, *, count: int, concurrency: int, groups: int) -> Load:
    """The one-per-request load, as alerts posted to Alertmanager's `/api/v2/alerts`."""
    moment = now()
    requests = [
        http_post(
            target.host, "/api/v2/alerts", api_v2_body(distinct_labels("am", i, i % groups), moment)
        )
        for i in range(count)
    ]
    return Load(ALERTMANAGER, count, count, concurrency, send_each(requests, "post"))


def now() -> datetime:
    """Return the current instant (the alerts' `startsAt`)."""
    return datetime.now(UTC)


# --- one database ---------------------------------------------------------------------------

C16, C64 = 16, 64


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
    alertmanager: str | None  # its executable; None when it is not installed
    profile: Path | None = None  # where py-spy profiles of Fireline's phases go

    def params(self) -> dict[str, int | str]:
        """The sizes and the client (a baseline is like for like when they match)."""
        return {k: v for k, v in asdict(self).items() if k not in ("alertmanager", "profile")}


def run_phase(result: Result, plan: Plan, target: Target, load: Load) -> Phase:
    """Announce, measure and keep one phase (profiled with --profile)."""
    announce(result.database, load)
    with contextlib.ExitStack() as stack:
        if plan.profile is not None and target.name == "fireline":
            stacks = plan.profile / f"{result.database}-{load.name}.txt"
            stack.callback(write_summary, stacks)  # runs after py-spy has written the file
            stack.enter_context(spy.recording(target.pid, stacks))
        phase, run = measure(target, load, plan.client)
    result.add(phase, run)
    return phase


def fireline_loads(target: Target, plan: Plan, token: str) -> list[Callable[[], Load]]:
    """The loads of the main server, in order (built lazily: each holds its requests)."""
    return [
        lambda: one_per_request(
            target, EMPTY, "flat", count=plan.flat_alerts, concurrency=C16, groups=plan.groups
        ),
        lambda: one_per_request(
            target, ONE_C16, "c16", count=plan.alerts, concurrency=C16, groups=plan.groups
        ),
        lambda: one_per_request(
            target, ONE_C64, "c64", count=plan.alerts, concurrency=C64, groups=plan.groups
        ),
        lambda: batches(
            target,
            count=plan.alerts,
            size=plan.batch_size,
            concurrency=plan.batch_concurrency,
            groups=plan.groups,
        ),
        lambda: storm(target, count=plan.alerts, keys=plan.storm_keys, concurrency=C64),
        lambda: new_incidents(
            target, count=plan.sample, concurrency=plan.sample_concurrency, token=token
        ),
    ]


def run_alertmanager(result: Result, plan: Plan, workdir: Path) -> None:
    """Measure a fresh Alertmanager with the one-per-request load at concurrency 64."""
    if plan.alertmanager is None:
        result.notes["alertmanager"] = "not measured: prometheus-alertmanager is not installed"
        return
    result.notes["alertmanager"] = version(plan.alertmanager)
    with alertmanager(plan.alertmanager, workdir / "alertmanager") as served:
        target = Target.of("alertmanager", served)
        load = alertmanager_load(target, count=plan.alerts, concurrency=C64, groups=plan.groups)
        run_phase(result, plan, target, load)


def run_main(result: Result, plan: Plan, workdir: Path, postgres_url: str) -> None:
    """Every load but the prefilled one, on a fresh database, then the checks."""
    workdir.mkdir()
    with fresh_database(result.database, workdir, postgres_url, "main") as url:
        env = server_env(url, workdir, CONFIG_YAML)
        token = prepare(env)
        database.prefill(url, 0)  # the history incidents only: like the prefilled run
        with serving(env, workdir) as served:
            target = Target.of("fireline", served)
            for make in fireline_loads(target, plan, token):
                if run_phase(result, plan, target, make()).name == ONE_C64:
                    run_alertmanager(result, plan, workdir)  # side by side with that load
        result.checks += [storm_check(url, plan), stored_check(url, plan)]


def run_prefilled(result: Result, plan: Plan, workdir: Path, postgres_url: str) -> None:
    """The empty-table load again, on a database that already holds `plan.prefill` alerts."""
    workdir.mkdir()
    with fresh_database(result.database, workdir, postgres_url, "prefilled") as url:
        env = server_env(url, workdir, CONFIG_YAML)
        prepare(env)
        console.print(f"[dim]{result.database}: prefilling {plan.prefill:,} alerts…[/]")
        seconds = database.prefill(url, plan.prefill)
        result.notes["prefill"] = f"{plan.prefill:,} alerts written in {seconds:.1f} s"
        with serving(env, workdir) as served:
            target = Target.of("fireline", served)
            load = one_per_request(
                target,
                PREFILLED,
                "flat",
                count=plan.flat_alerts,
                concurrency=C16,
                groups=plan.groups,
            )
            run_phase(result, plan, target, load)
        stored = database.count_rows(url, "alerts")
        expected = plan.prefill + plan.flat_alerts
        result.checks.append(
            Check(
                "prefilled table",
                stored == expected,
                f"{stored:,} alerts stored, {expected:,} expected",
            )
        )


def storm_check(url: str, plan: Plan) -> Check:
    """Exactly one open alert per storm key, and every repeat counted once."""
    open_count, occurrences = database.open_alerts(url, STORM_INTEGRATION)
    ok = open_count == plan.storm_keys and occurrences == plan.alerts
    detail = (
        f"{open_count:,} open alerts (want {plan.storm_keys:,}), "
        f"{occurrences:,} occurrences (want {plan.alerts:,})"
    )
    return Check("dedup storm", ok, detail)


def stored_check(url: str, plan: Plan) -> Check:
    """Every distinct alert answered 200 is stored, firing, exactly once."""
    stored, occurrences = database.open_alerts(url, MAIN_INTEGRATION)
    expected = plan.flat_alerts + 3 * plan.alerts + plan.sample
    ok = stored == occurrences == expected
    return Check("distinct alerts stored", ok, f"{stored:,} firing alerts, {expected:,} sent")


def run_database(name: str, plan: Plan, postgres_url: str) -> Result | str:
    """Benchmark servers of our own on fresh `name` databases; return a reason if skipped."""
    if name == "postgres":
        try:
            database.read_one(postgres_url, "SELECT 1")
        except psycopg.Error as error:
            return unreachable(postgres_url, error)
    result = Result(name, plan.params())
    console.print(f"[bold]{name}[/]: starting a server on a fresh database…")
    with tempfile.TemporaryDirectory(prefix="fireline-bench-intake-") as tmp:
        run_main(result, plan, Path(tmp) / "main", postgres_url)
        if plan.prefill:
            run_prefilled(result, plan, Path(tmp) / "prefilled", postgres_url)
    return result


# --- targets and the report -----------------------------------------------------------------


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


# --- the command line -----------------------------------------------------------------------


def positive(text: str) -> int:
    """Read a positive integer option."""
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def natural(text: str) -> int:
    """Read a non-negative integer option."""
    value = int(text.replace("_", "").replace(",", ""))
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--spawn",
        action="append",
        required=True,
        choices=["sqlite", "postgres"],
        help="start a server per database (give one or both)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FIRELINE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL,
        help="PostgreSQL server where --spawn postgres creates its databases",
    )
    parser.add_argument("--alerts", type=positive, default=20_000, help="alerts per load (20,000)")
    parser.add_argument(
        "--flat-alerts", type=positive, help="alerts of the empty/prefilled pair (5,000)"
    )
    parser.add_argument(
        "--prefill", type=natural, default=1_000_000, help="stored alerts, 0 skips (1,000,000)"
    )
    parser.add_argument("--sample", type=positive, help="alerts that open incidents (200)")
    parser.add_argument(
        "--sample-concurrency", type=positive, default=1, help="sample alerts in flight (1)"
    )
    parser.add_argument("--groups", type=positive, default=100, help="group keys = incidents (100)")
    parser.add_argument("--batch-size", type=positive, default=100, help="alerts per batch (100)")
    parser.add_argument(
        "--batch-concurrency", type=positive, default=8, help="batches in flight (8)"
    )
    parser.add_argument(
        "--storm-keys", type=positive, default=200, help="distinct storm keys (200)"
    )
    parser.add_argument(
        "--client", choices=sorted(CLIENTS), default="raw", help="HTTP client (raw sockets)"
    )
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="record Fireline's phases with py-spy here"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument("--baseline", type=Path, default=BASELINE_PATH, help="baseline file")
    parser.add_argument("--write-baseline", action="store_true", help="store this run's figures")
    args = parser.parse_args(argv)
    if args.profile is not None:
        if spy.py_spy() is None:
            parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


def plan_of(args: argparse.Namespace) -> Plan:
    """Turn the options into the sizes of the run."""
    return Plan(
        alerts=args.alerts,
        flat_alerts=args.flat_alerts or min(5_000, args.alerts),
        prefill=args.prefill,
        sample=args.sample or min(200, args.alerts),
        sample_concurrency=args.sample_concurrency,
        groups=args.groups,
        batch_size=args.batch_size,
        batch_concurrency=args.batch_concurrency,
        storm_keys=args.storm_keys,
        client=args.client,
        alertmanager=binary(),
        profile=args.profile,
    )


def collect(args: argparse.Namespace, plan: Plan) -> tuple[list[Result], dict[str, str]]:
    """Run and report every requested database; return the results and the skipped ones."""
    baseline = load_baseline(args.baseline)
    results: list[Result] = []
    skipped: dict[str, str] = {}
    for name in dict.fromkeys(args.spawn):
        outcome = run_database(name, plan, args.postgres_url)
        if isinstance(outcome, str):
            console.print(f"[yellow]{name} skipped[/]: {outcome}", highlight=False)
            skipped[name] = outcome
            continue
        report(outcome, baseline.get(name), args.baseline)
        results.append(outcome)
    return results, skipped


def failures(results: list[Result]) -> int:
    """Count the failed requests and checks."""
    return sum(sum(r.errors.values()) + sum(not c.ok for c in r.checks) for r in results)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if any request or check failed or it could not run."""
    args = parse_args(argv)
    if not sys.stdout.isatty():
        console.width = REPORT_WIDTH  # a log or a pipe: room for the ratios to the baseline
    signal.signal(signal.SIGTERM, interrupt)
    busy = warn_if_busy()
    plan = plan_of(args)
    code = source_state()
    console.print(f"[dim]measuring Fireline at {code}[/]", highlight=False)
    started = time.perf_counter()
    try:
        results, skipped = collect(args, plan)
    except BenchError as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False)
        return 1
    except KeyboardInterrupt:
        console.print("[bold red]interrupted[/]: the servers were stopped and databases dropped")
        return 130
    console.print(f"[dim]the whole run took {time.perf_counter() - started:.0f} s[/]")
    if (after := source_state()) != code:
        console.print(f"[yellow]src/ changed during the run (now {after}): figures are mixed[/]")
    if args.json:
        document = {
            "code": code,
            "code_after": after,
            "cpu_busy_before_start": busy,
            "results": [r.to_json() for r in results],
            "skipped": skipped,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if failed := failures(results):
        console.print(f"[bold red]{failed} failed request(s) or check(s)[/]")
        return 1
    if args.write_baseline:
        about = "Reference figures of bench/intake.py; rewrite with --write-baseline."
        entries = {r.database: {"code": code, **baseline_entry(r)} for r in results}
        store_baseline(args.baseline, about, entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
