"""The parts of a bench/paging.py run: Fireline per database, Alertmanager, on call.

Each starts what it measures (a server with its `fireline.yaml`, an Alertmanager with its
webhook), builds the loads, runs the phases and adds them to the `Outcome`; `calibrate`
times the fake receiver alone.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import psycopg

import database
import paging_oncall
import spy
from alertmanager_server import alertmanager, version
from harness import (
    BenchError,
    Served,
    console,
    fireline_exe,
    free_port,
    fresh_database,
    prepare,
    process_cpu_s,
    server_env,
    serving,
    stop,
    tail,
    unreachable,
    wait_ready,
)
from load import RawConnection
from paging_figures import ALERTMANAGER_DB, Outcome, Plan, ms
from paging_open_loop import REQUEST_TIMEOUT_S, Load, Meter, run_phase
from paging_receiver import Receiver
from paging_stages import clock_offset, stages
from workload import api_v2_body, http_post, labels_of, rfc3339, webhook_alert, webhook_body

INTAKE_KEY = "bench-paging-key-0001"
ROUTING_KEY = "0123456789abcdef0123456789abcdef"
SERVICE = "paging"
CONFIG_YAML = """\
# Written by bench/paging.py: alerts named PageBench* open incidents of the `paging` service,
# whose policy pages a PagerDuty channel at once; the channel is the benchmark's fake.
services:
  - {{name: {service}, team: benchmarks, tier: 1, regions: [eu-west-1], escalation_policy: page}}
  - {{name: bench-catch-all, team: benchmarks, tier: 3, regions: [eu-west-1]}}
integrations:
  - {{name: prometheus, kind: alertmanager, key: {key}}}
routing:
  catch_all_service: bench-catch-all
  rules:
    - {{name: paging, match: ['alertname=~"PageBench.+"'], service: {service}}}
channels:
  - {{name: pd-bench, kind: pagerduty, routing_key: {routing_key}, url: "{url}"}}
escalation_policies:
  - name: page
    steps:
      - {{targets: ["channel:pd-bench"], delay: 1h}}
paging:
  incident_url: "https://fireline.bench.internal/incidents/{{ref}}"
"""
ALERTMANAGER_CONFIG = """\
# Written by bench/paging.py: every alert is its own group, notified at once to a webhook.
route:
  receiver: bench
  group_by: ['...']
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: bench
    webhook_configs:
      - url: "{url}"
        send_resolved: false
"""
SETTLE_S = 0.5
CALIBRATION_EVENTS = 1000


# --- the loads ------------------------------------------------------------------------------


def rate_name(rate: float) -> str:
    """Name a phase after its rate: 50/s."""
    return f"{rate:g}/s"


def fireline_load(host: str, *, rate: float, seconds: float, tag: str) -> Load:
    """Distinct alerts that each open an incident of the `paging` service, one per webhook."""
    starts_at = rfc3339(datetime.now(UTC))
    path = f"/integrations/alertmanager/{INTAKE_KEY}"
    requests = []
    for index in range(max(1, round(rate * seconds))):
        labels = labels_of(
            f"PageBench{tag}x{index:06d}",
            "eu-west-1",
            f"page-{tag}-{index:06d}.bench.internal:9100",
            "critical",
        )
        requests.append(http_post(host, path, webhook_body([webhook_alert(labels, starts_at)])))
    return Load(rate_name(rate), rate, requests, None)


def alertmanager_load(host: str, *, rate: float, seconds: float, tag: str) -> Load:
    """The same alerts (own names), each posted alone to Alertmanager's `/api/v2/alerts`."""
    moment = datetime.now(UTC)
    requests, keys = [], []
    for index in range(max(1, round(rate * seconds))):
        name = f"AmPage{tag}x{index:06d}"
        labels = labels_of(
            name, "eu-west-1", f"am-{tag}-{index:06d}.bench.internal:9100", "critical"
        )
        requests.append(http_post(host, "/api/v2/alerts", api_v2_body(labels, moment)))
        keys.append(name)
    return Load(rate_name(rate), rate, requests, keys)


# --- one database ---------------------------------------------------------------------------


def run_database(outcome: Outcome, name: str, plan: Plan, postgres_url: str) -> None:
    """Measure every rate on a server of our own on a fresh `name` database."""
    if name == "postgres":
        try:
            database.read_one(postgres_url, "SELECT 1")
        except psycopg.Error as error:
            outcome.skipped[name] = unreachable(postgres_url, error)
            console.print(f"[yellow]{name} skipped[/]: {outcome.skipped[name]}", highlight=False)
            return
    console.print(f"[bold]{name}[/]: starting a server on a fresh database…")
    with (
        tempfile.TemporaryDirectory(prefix="fireline-bench-paging-") as tmp,
        fresh_database(name, Path(tmp), postgres_url, "paging") as url,
    ):
        config = CONFIG_YAML.format(
            service=SERVICE, key=INTAKE_KEY, routing_key=ROUTING_KEY, url=plan.fake.pagerduty_url
        )
        env = server_env(url, Path(tmp), config)
        prepare(env)
        with fireline(env, Path(tmp), apart=plan.engine_apart) as (served, engine_pid):
            target = f"{name}, engine apart" if plan.engine_apart else name
            pids = (served.process.pid,) if engine_pid is None else (served.process.pid, engine_pid)
            meter = Meter(pids, plan.fake.served.process.pid)
            address = ("127.0.0.1", served.port)
            if plan.warmup:
                warm = fireline_load("127.0.0.1", rate=20, seconds=plan.warmup / 20, tag="W")
                warm = Load("warm-up", 20, warm.requests, None)
                run_phase(
                    Outcome(), target=target, load=warm, address=address, meter=meter, plan=plan
                )
            for number, rate in enumerate(plan.rates):
                load = fireline_load("127.0.0.1", rate=rate, seconds=plan.seconds, tag=f"R{number}")
                offset = clock_offset()
                with profiled(plan, served, f"{name}-{rate:g}"):
                    phase, shots, arrivals = run_phase(
                        outcome, target=target, load=load, address=address, meter=meter, plan=plan
                    )
                time.sleep(SETTLE_S)  # the last pages' outcomes are being recorded
                phase.stages.update(stages(url, shots, arrivals, offset))
                outcome.phases.append(phase)


@contextlib.contextmanager
def fireline(
    env: dict[str, str], workdir: Path, *, apart: bool
) -> Iterator[tuple[Served, int | None]]:
    """Serve with its own engine (the default), or `--no-engine` beside a `fireline engine`.

    Yields the server and the engine process's id (None when the server runs it: its CPU
    time is then counted among the server's children).
    """
    if not apart:
        with serving(env, workdir) as served:
            yield served, None
        return
    log = workdir / "engine.log"
    with log.open("ab") as sink:
        engine = subprocess.Popen(
            [str(fireline_exe()), "engine"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        port = free_port()
        command = [str(fireline_exe()), "serve", "--no-engine", "--port", str(port)]
        command += ["--host", "127.0.0.1"]
        with (workdir / "server.log").open("ab") as sink:
            server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, server, workdir / "server.log")
            if engine.poll() is not None:
                raise BenchError(f"fireline engine exited with {engine.returncode}:\n{tail(log)}")
            yield Served(url, server), engine.pid
        finally:
            stop(server)
    finally:
        stop(engine)


@contextlib.contextmanager
def profiled(plan: Plan, served: Served, name: str) -> Iterator[None]:
    """Record the server with py-spy during a phase when --profile is given."""
    if plan.profile is None:
        yield
        return
    stacks = plan.profile / f"{name}.txt"
    with spy.recording(served.process.pid, stacks):
        yield
    stacks.with_suffix(".summary.txt").write_text(spy.summary(stacks) + "\n", encoding="utf-8")


def run_alertmanager(outcome: Outcome, plan: Plan, executable: str | None) -> None:
    """Measure a fresh Alertmanager at each rate: POST /api/v2/alerts until the webhook."""
    if executable is None:
        outcome.skipped[ALERTMANAGER_DB] = "prometheus-alertmanager is not installed (make tools)"
        console.print(f"[yellow]Alertmanager skipped[/]: {outcome.skipped[ALERTMANAGER_DB]}")
        return
    outcome.notes[ALERTMANAGER_DB] = version(executable)
    with (
        tempfile.TemporaryDirectory(prefix="fireline-bench-paging-am-") as tmp,
        alertmanager(
            executable,
            Path(tmp),
            config=ALERTMANAGER_CONFIG.format(url=plan.fake.alertmanager_url),
        ) as served,
    ):
        meter = Meter((served.process.pid,), plan.fake.served.process.pid)
        address = ("127.0.0.1", served.port)
        for number, rate in enumerate(plan.rates):
            load = alertmanager_load("127.0.0.1", rate=rate, seconds=plan.seconds, tag=f"R{number}")
            phase, _, _ = run_phase(
                outcome, target=ALERTMANAGER_DB, load=load, address=address, meter=meter, plan=plan
            )
            outcome.phases.append(phase)


def calibrate(outcome: Outcome, fake: Receiver) -> None:
    """Time the receiver alone: PagerDuty events posted one at a time from this process."""
    host, port = "127.0.0.1", fake.served.port
    body = {"routing_key": ROUTING_KEY, "event_action": "trigger", "payload": {"summary": "x"}}
    requests = [
        http_post(host, "/v2/enqueue", orjson.dumps({**body, "dedup_key": f"calibrate-{n}"}))
        for n in range(CALIBRATION_EVENTS)
    ]
    connection = RawConnection(host, port, REQUEST_TIMEOUT_S)
    starts: dict[str, float] = {}
    round_trips = []
    cpu_before = process_cpu_s(fake.served.process.pid)
    try:
        for number, request in enumerate(requests):
            started = time.perf_counter()
            status, _ = connection.exchange(request)
            round_trips.append(time.perf_counter() - started)
            starts[f"calibrate-{number}"] = started
            if status != 202:
                raise BenchError(f"the fake PagerDuty answered {status}")
    finally:
        connection.close()
    cpu = process_cpu_s(fake.served.process.pid) - cpu_before
    seen = [a for a in fake.take() if a.key in starts]
    to_arrival = sorted(a.arrived - starts[a.key] for a in seen)
    handled = sorted(a.handled_s for a in seen)
    round_trips.sort()
    outcome.notes["fake PagerDuty"] = (
        f"{len(seen):,} events sent one at a time from the benchmark: POST start → timestamped "
        f"p50 {ms(to_arrival, 0.5):.3f} / p99 {ms(to_arrival, 0.99):.3f} ms, round trip "
        f"p50 {ms(round_trips, 0.5):.3f} / p99 {ms(round_trips, 0.99):.3f} ms, handling "
        f"p50 {ms(handled, 0.5) * 1000:.0f} / p99 {ms(handled, 0.99) * 1000:.0f} µs, "
        f"{cpu * 1e6 / max(1, len(seen)):.0f} µs of its CPU per event"
    )


# --- who is on call -------------------------------------------------------------------------


def run_oncall(
    outcome: Outcome, *, schedules: int, instants: int, workers: int, repeats: int
) -> None:
    """Ask the schedules who is on call; generate a year of shifts."""
    console.print(
        f"[dim]who is on call: {schedules:,} schedules × {instants:,} instants on {workers} "
        "process(es)…[/]",
        highlight=False,
    )
    started = time.perf_counter()
    outcome.queries = paging_oncall.who_is_on_call(schedules, instants, workers)
    outcome.query_wall_s = time.perf_counter() - started
    queries = outcome.queries
    outcome.fail(
        "on_call disagrees with final_shifts", queries.mismatched, "; ".join(queries.examples)
    )
    console.print("[dim]a year of final shifts, follow-the-sun…[/]")
    outcome.shifts = paging_oncall.year_of_shifts(repeats)
