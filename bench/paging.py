"""Benchmark paging: alert-to-page latency beside Alertmanager, and who is on call.

For each `--spawn sqlite` / `--spawn postgres` it starts `fireline serve` on a fresh database
whose `paging` service pages a PagerDuty channel pointing at a fake PagerDuty run by the
benchmark (bench/paging_receiver.py), and sends distinct alerts (each opens an incident, so
each is paged) at fixed open-loop rates, one alert per webhook; a page is timed from just
before its alert's POST until its Events v2 trigger (`dedup_key` = the incident ref the
intake answered with) reaches the fake. A real Alertmanager gets the same alerts at the same
rates on `/api/v2/alerts` and notifies a webhook on the same receiver (`group_wait: 0s`, each
alert its own group). Then 1,000 schedules are asked who is on call at 10,000 instants each,
and a year of final shifts of a follow-the-sun schedule is generated. It prints the tables and
the issue's targets, compares with `bench/baseline-paging.json`, and exits 1 if any alert was
lost, any request failed, or a check failed.

    .venv/bin/python bench/paging.py --spawn sqlite --spawn postgres
    .venv/bin/python bench/paging.py --spawn sqlite --seconds 3 --schedules 100 --instants 1000
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg
from rich.table import Table

import database
import paging_oncall
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
    fireline_exe,
    free_port,
    fresh_database,
    interrupt,
    load_baseline,
    percentile,
    pg_conninfo,
    prepare,
    process_cpu_s,
    server_env,
    serving,
    source_state,
    stop,
    store_baseline,
    tail,
    unreachable,
    wait_ready,
)
from harness import warn_if_busy as busy_before_start
from load import ProtocolError, RawConnection, Request
from paging_receiver import ALERTMANAGER, PAGERDUTY, Arrival, Receiver, receiver
from workload import api_v2_body, http_post, labels_of, rfc3339, webhook_alert, webhook_body

BASELINE_PATH = Path(__file__).resolve().parent / "baseline-paging.json"
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
# Targets of issue 4, item 7: p99 alert-to-page latency per rate, and who is on call.
PAGE_TARGETS_MS = {50.0: 50.0, 500.0: 250.0}
QUERY_TARGET_US = 1000.0
SUSTAINED = 0.95  # a rate counts as sustained when alerts were sent at 95 % of it or more
LEAD_S = 0.05  # the first alert is due this long after the threads are started
REQUEST_TIMEOUT_S = 120.0
# uvicorn closes a keep-alive connection idle for 5 s; a request sent just then would fail, so
# a connection idle this long (at low rates, with many connections) is opened anew first.
IDLE_S = 2.0
POLL_S = 0.1
SETTLE_S = 0.5
CALIBRATION_EVENTS = 1000
ALERTMANAGER_DB = "alertmanager"
ONCALL = "oncall"
REPORT_WIDTH = 260


# --- an open-loop load: alert i is sent at start + i / rate, whatever came before -----------


@dataclass
class Shot:
    """One request of an open-loop load: when it was due, sent, answered, and the answer."""

    due: float
    started: float = 0.0
    answered: float = 0.0
    status: int = 0
    body: bytes = b""
    error: str = ""


@dataclass(frozen=True)
class Volley:
    """The shots of one load, and the client CPU it took."""

    shots: list[Shot]
    client_cpu_s: float

    def sent(self) -> list[Shot]:
        """The shots that were sent (all, unless the cut-off stopped the load)."""
        return [shot for shot in self.shots if shot.started]


def open_loop(
    address: tuple[str, int],
    requests: Sequence[Request],
    *,
    rate: float,
    connections: int,
    cutoff_s: float,
) -> Volley:
    """Send request i at `i / rate` s on `connections` keep-alive connections (raw sockets).

    A request waits for a free connection when every connection is busy: it is then sent
    late, and its lag shows it. Requests not sent within `cutoff_s` are not sent at all.
    """
    origin = time.perf_counter() + LEAD_S
    shots = [Shot(origin + index / rate) for index in range(len(requests))]
    counter = itertools.count()  # next() on a count is atomic under the GIL
    halt = threading.Event()
    deadline = origin + cutoff_s

    def worker() -> None:
        connection = RawConnection(*address, REQUEST_TIMEOUT_S)
        used = time.perf_counter()
        try:
            while (index := next(counter)) < len(shots) and not halt.is_set():
                shot = shots[index]
                if (wait := shot.due - time.perf_counter()) > 0:
                    time.sleep(wait)
                elif time.perf_counter() > deadline:
                    return
                if time.perf_counter() - used > IDLE_S:
                    connection.close()  # the server may be closing it: connect again
                shot.started = time.perf_counter()
                try:
                    shot.status, shot.body = connection.exchange(requests[index])
                except (OSError, ProtocolError, ValueError) as error:
                    shot.error = f"{type(error).__name__}: {error}"
                    connection.close()
                shot.answered = used = time.perf_counter()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    cpu_before = time.process_time()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C: let the threads finish their request and stop
        halt.set()
        raise
    return Volley(shots, time.process_time() - cpu_before)


def gather(
    fake: Receiver, source: str, wanted: set[str], *, drain_s: float
) -> dict[str, list[Arrival]]:
    """Collect `source` arrivals from the receiver until every `wanted` key is in, or time is up."""
    found: dict[str, list[Arrival]] = {}
    deadline = time.perf_counter() + drain_s
    while True:
        for arrival in fake.take():
            if arrival.source == source:
                found.setdefault(arrival.key, []).append(arrival)
        if wanted <= found.keys() or time.perf_counter() > deadline:
            return found
        time.sleep(POLL_S)


# --- the figures ----------------------------------------------------------------------------


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
class Load:
    """The requests of one phase and the key each one's page will carry (None: from the answer)."""

    name: str
    rate: float
    requests: list[Request]
    keys: list[str] | None  # Alertmanager: the alertname; Fireline: read from the answer


@dataclass(frozen=True)
class Meter:
    """Where a phase's CPU is charged: the server's processes (and the receiver)."""

    server_pids: tuple[int, ...]
    receiver_pid: int

    def server_cpu_s(self) -> float:
        """The CPU seconds the server's processes have used so far."""
        return sum(process_cpu_s(pid) for pid in self.server_pids)


def run_phase(
    outcome: Outcome, *, target: str, load: Load, address: tuple[str, int], meter: Meter, plan: Plan
) -> tuple[Phase, dict[str, Shot], dict[str, Arrival]]:
    """Send one load, wait for its pages; return the phase and each page's shot and arrival."""
    fake = plan.fake
    source = ALERTMANAGER if target == ALERTMANAGER_DB else PAGERDUTY
    fake.take()  # forget anything left over
    console.print(
        f"[dim]{target}: {load.name}: {len(load.requests):,} alerts, one per request, "
        f"open loop at {load.rate:g}/s…[/]",
        highlight=False,
    )
    server_before, receiver_before = meter.server_cpu_s(), process_cpu_s(meter.receiver_pid)
    machine_before = cpu_sample()
    volley = open_loop(
        address,
        load.requests,
        rate=load.rate,
        connections=plan.connections,
        cutoff_s=plan.seconds * plan.cutoff,
    )
    shots = keyed_shots(outcome, target, load, volley)
    arrivals = gather(fake, source, set(shots), drain_s=plan.drain_s)
    server_cpu = meter.server_cpu_s() - server_before
    receiver_cpu = process_cpu_s(meter.receiver_pid) - receiver_before
    busy = busy_between(machine_before, cpu_sample())
    first = {key: min(found, key=lambda a: a.arrived) for key, found in arrivals.items()}
    delivered = [key for key in shots if key in first]
    missing = len(shots) - len(delivered)
    outcome.fail(
        f"{target} {load.name}: no page within {plan.drain_s:g} s",
        missing,
        ", ".join(sorted(set(shots) - first.keys())[:10]),
    )
    latencies = sorted(first[key].arrived - shots[key].started for key in delivered)
    from_due = sorted(first[key].arrived - shots[key].due for key in delivered)
    sent = volley.sent()
    posts = sorted(shot.answered - shot.started for shot in sent)
    arrived = sorted(first[key].arrived for key in delivered)
    phase = Phase(
        target=target,
        name=load.name,
        rate=load.rate,
        alerts=len(load.requests),
        sent=len(sent),
        sent_per_s=rate_of(len(sent), sent[0].started, sent[-1].started) if sent else 0.0,
        paged_per_s=rate_of(len(arrived), arrived[0], arrived[-1]) if arrived else 0.0,
        errors=sum(1 for shot in sent if shot.error or shot.status != 200),
        delivered=len(delivered),
        missing=missing,
        duplicates=sum(len(arrivals[key]) - 1 for key in delivered),
        p50_ms=ms(latencies, 0.50),
        p99_ms=ms(latencies, 0.99),
        max_ms=latencies[-1] * 1000 if latencies else 0.0,
        due_p99_ms=ms(from_due, 0.99),
        post_p50_ms=ms(posts, 0.50),
        post_p99_ms=ms(posts, 0.99),
        lag_max_ms=max((shot.started - shot.due for shot in sent), default=0.0) * 1000,
        server_cpu_ms=server_cpu * 1000 / max(1, len(sent)),
        receiver_cpu_us=receiver_cpu * 1e6 / max(1, sum(len(v) for v in arrivals.values())),
        client_cpu_s=volley.client_cpu_s,
        machine_busy=busy,
    )
    if len(sent) < len(load.requests):
        outcome.notes[f"{target} {load.name}"] = (
            f"{len(load.requests) - len(sent):,} alerts were not sent: the server fell so far "
            f"behind that they were not due before the cut-off ({plan.cutoff:g}× --seconds)"
        )
    return phase, shots, first


def keyed_shots(outcome: Outcome, target: str, load: Load, volley: Volley) -> dict[str, Shot]:
    """Return the sent shots by the key of their page; count the failed ones."""
    keyed: dict[str, Shot] = {}
    for index, shot in enumerate(volley.shots):
        if not shot.started:
            continue
        if shot.error:
            outcome.fail(f"{target} {load.name}: {shot.error.split(':')[0]}", 1, shot.error)
            continue
        if shot.status != 200:
            text = shot.body.decode("utf-8", "replace")
            outcome.fail(f"{target} {load.name}: POST {shot.status}", 1, text)
            continue
        if load.keys is not None:
            keyed[load.keys[index]] = shot
            continue
        opened = orjson.loads(shot.body).get("opened") or []
        if len(opened) != 1:
            outcome.fail(
                f"{target} {load.name}: alert opened {len(opened)} incidents",
                1,
                shot.body.decode("utf-8", "replace"),
            )
            continue
        keyed[opened[0]] = shot
    return keyed


# --- where a page's time goes, from the timestamps Fireline stores ---------------------------

STAGES_SQL = (
    "SELECT i.id, i.created_at, n.created_at, n.sent_at FROM incidents i "
    "JOIN notifications n ON n.incident_id = i.id "
    "WHERE n.kind = 'trigger' AND i.id >= ? AND i.id <= ?"
)


Stored = tuple[int, datetime | None, datetime | None, datetime | None]


def stored_times(url: str, first: int, last: int) -> list[Stored]:
    """Read (incident id, opened, page queued, page marked sent) of incidents first..last."""
    if database.is_sqlite(url):
        uri = f"file:{database.sqlite_path(url)}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            rows = connection.execute(STAGES_SQL, (first, last)).fetchall()
        return [(row[0], *(as_instant(value) for value in row[1:])) for row in rows]
    options = "-c default_transaction_read_only=on"
    with psycopg.connect(pg_conninfo(url), options=options) as connection:
        rows = connection.execute(STAGES_SQL.replace("?", "%s"), (first, last)).fetchall()
    return [(row[0], *(as_instant(value) for value in row[1:])) for row in rows]


def as_instant(value: object) -> datetime | None:
    """Read a stored instant: aware from PostgreSQL, naive-UTC text from SQLite."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def stages(
    url: str, shots: dict[str, Shot], arrivals: dict[str, Arrival], offset: float
) -> dict[str, list[float]]:
    """Split each page's latency at the instants Fireline recorded.

    `offset` turns a stored wall-clock instant into the benchmark's perf_counter scale.
    """
    ids = {int(key.removeprefix("INC-")): key for key in shots if key in arrivals}
    if not ids:
        return {}
    parts: dict[str, list[float]] = {
        "POST → alert read": [],
        "read → engine took it": [],
        "engine took it → page at the fake": [],
        "page at the fake → marked sent": [],
    }
    for incident_id, opened, queued, sent in stored_times(url, min(ids), max(ids)):
        key = ids.get(incident_id)
        if key is None or opened is None or queued is None:
            continue
        opened_at, queued_at = opened.timestamp() - offset, queued.timestamp() - offset
        arrived = arrivals[key].arrived
        parts["POST → alert read"].append(opened_at - shots[key].started)
        parts["read → engine took it"].append(queued_at - opened_at)
        parts["engine took it → page at the fake"].append(arrived - queued_at)
        if sent is not None:
            parts["page at the fake → marked sent"].append(sent.timestamp() - offset - arrived)
    return {name: spread_ms(values) for name, values in parts.items() if values}


def clock_offset() -> float:
    """Return wall-clock time minus perf_counter (the smallest gap of a few readings)."""
    readings = []
    for _ in range(5):
        before = time.perf_counter()
        wall = time.time()
        after = time.perf_counter()
        readings.append((after - before, wall - (before + after) / 2))
    return min(readings)[1]


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
            "engine": "apart" if self.engine_apart else "inside",
        }


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
    """Serve with the engine inside (the default), or beside a `fireline engine` process.

    Yields the server and the engine process's id (None when the engine runs inside).
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


# --- the report -----------------------------------------------------------------------------

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


@dataclass(frozen=True)
class Goal:
    """One of the issue's targets, with the figure measured and whether it was met."""

    name: str
    measured: str
    wanted: str
    met: bool | None


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


# --- the command line -----------------------------------------------------------------------


def positive(text: str) -> int:
    """Read a positive integer option."""
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_float(text: str) -> float:
    """Read a positive number option."""
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def rates(text: str) -> tuple[float, ...]:
    """Read a comma-separated list of rates."""
    return tuple(positive_float(part) for part in text.split(",") if part.strip())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--spawn",
        action="append",
        default=[],
        choices=["sqlite", "postgres"],
        help="start a server per database (one or both; none: Alertmanager and schedules only)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FIRELINE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL,
        help="PostgreSQL server where --spawn postgres creates its database",
    )
    parser.add_argument("--rates", type=rates, default=(50.0, 500.0), help="alerts/s (50,500)")
    parser.add_argument("--seconds", type=positive_float, default=10.0, help="per rate (10)")
    parser.add_argument("--connections", type=positive, default=64, help="in flight at most (64)")
    parser.add_argument("--warmup", type=int, default=50, help="alerts before measuring (50)")
    parser.add_argument(
        "--drain", type=positive_float, default=120.0, help="seconds to wait for late pages (120)"
    )
    parser.add_argument(
        "--cutoff", type=positive_float, default=3.0, help="stop sending after N × --seconds (3)"
    )
    parser.add_argument(
        "--engine",
        choices=["inside", "apart"],
        default="inside",
        help="the engine inside `fireline serve` (default) or a `fireline engine` process",
    )
    parser.add_argument("--no-alertmanager", action="store_true", help="leave Alertmanager out")
    parser.add_argument("--schedules", type=int, default=1000, help="0 skips on-call (1,000)")
    parser.add_argument("--instants", type=positive, default=10_000, help="per schedule (10,000)")
    parser.add_argument(
        "--oncall-workers", type=positive, default=os.cpu_count() or 1, help="processes (CPUs)"
    )
    parser.add_argument("--shift-repeats", type=positive, default=5, help="year-of-shifts runs (5)")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="py-spy each Fireline phase")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument("--baseline", type=Path, default=BASELINE_PATH, help="baseline file")
    parser.add_argument(
        "--save-baseline", "--write-baseline", action="store_true", help="store this run's figures"
    )
    args = parser.parse_args(argv)
    if args.profile is not None:
        if spy.py_spy() is None:
            parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


def measure(args: argparse.Namespace, outcome: Outcome, fake: Receiver) -> Plan:
    """Run every part of the benchmark the options ask for."""
    plan = Plan(
        rates=args.rates,
        seconds=args.seconds,
        connections=args.connections,
        warmup=args.warmup,
        drain_s=args.drain,
        cutoff=args.cutoff,
        fake=fake,
        engine_apart=args.engine == "apart",
        profile=args.profile,
    )
    if args.spawn or not args.no_alertmanager:
        calibrate(outcome, fake)
    for name in dict.fromkeys(args.spawn):
        run_database(outcome, name, plan, args.postgres_url)
    if not args.no_alertmanager:
        run_alertmanager(outcome, plan, binary())
    if args.schedules > 0:
        run_oncall(
            outcome,
            schedules=args.schedules,
            instants=args.instants,
            workers=args.oncall_workers,
            repeats=args.shift_repeats,
        )
    return plan


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if an alert was lost, a request or a check failed."""
    args = parse_args(argv)
    if not sys.stdout.isatty():
        console.width = REPORT_WIDTH
    signal.signal(signal.SIGTERM, interrupt)
    busy = busy_before_start()
    code = source_state()
    console.print(f"[dim]measuring Fireline at {code}[/]", highlight=False)
    outcome = Outcome()
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="fireline-bench-fake-") as tmp:
            with receiver(Path(tmp)) as fake:
                plan = measure(args, outcome, fake)
    except BenchError as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False)
        return 1
    except KeyboardInterrupt:
        console.print("[bold red]interrupted[/]: the servers were stopped and databases dropped")
        return 130
    baseline = comparable(load_baseline(args.baseline), outcome, plan, code)
    report(outcome, baseline, args.baseline)
    console.print(f"[dim]the whole run took {time.perf_counter() - started:.0f} s[/]")
    if (after := source_state()) != code:
        console.print(f"[yellow]src/ changed during the run (now {after}): figures are mixed[/]")
    if args.json:
        document = {
            "code": code,
            "code_after": after,
            "cpu_busy_before_start": busy,
            "params": plan.params(),
            "phases": [asdict(phase) for phase in outcome.phases],
            "oncall": baseline_entries(outcome, plan.params(), code).get(ONCALL),
            "goals": [asdict(goal) for goal in goals(outcome)],
            "errors": outcome.errors,
            "notes": outcome.notes,
            "skipped": outcome.skipped,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if failed := sum(outcome.errors.values()):
        console.print(f"[bold red]{failed} lost alert(s), failed request(s) or check(s)[/]")
        return 1
    if args.save_baseline:
        about = "Reference figures of bench/paging.py; rewrite with --save-baseline."
        store_baseline(args.baseline, about, baseline_entries(outcome, plan.params(), code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
