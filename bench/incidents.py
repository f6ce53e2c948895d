"""Benchmark the incident lifecycle over HTTP against a running Fireline server.

Each incident is created, acknowledged, noted, mitigated and resolved, one step after the
other; `--concurrency` incidents are in flight at once. The benchmark either drives a server
that is already running (`--server URL --token TOKEN`) or starts its own, on a fresh database,
for each `--spawn sqlite` / `--spawn postgres`. It prints throughput and latency per operation
kind, compares them with `bench/baseline.json`, and exits 1 if any request failed.

    .venv/bin/python bench/incidents.py --spawn sqlite --spawn postgres
    .venv/bin/python bench/incidents.py --server http://127.0.0.1:8080 --token fl_...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from rich.table import Table

from harness import (
    DEFAULT_POSTGRES_URL,
    BenchError,
    console,
    figure,
    fresh_database,
    interrupt,
    load_baseline,
    percentile,
    spawned_server,
    store_baseline,
    unreachable,
    warn_if_busy,
)

KINDS = ("create", "acknowledge", "note", "mitigate", "resolve")
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4", "SEV5")
REGIONS = ("eu-west-1", "us-east-1")
SERVICE = "bench"
INCIDENTS = "/api/v1/incidents"
BASELINE_PATH = Path(__file__).resolve().parent / "baseline.json"
CONFIG_YAML = f"""\
services:
  - name: {SERVICE}
    team: benchmarks
    tier: 2
    regions: [{", ".join(REGIONS)}]
    description: Target of bench/incidents.py.
"""
REQUEST_TIMEOUT_S = 60.0


@dataclass
class Recorder:
    """Latencies in seconds per operation kind, and the failures seen."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, problem: str | None = None, detail: str = "") -> None:
        """Record one request; `problem` names a failure such as 'acknowledge 409'."""
        with self.lock:
            self.latencies[kind].append(seconds)
            if problem is not None:
                self.errors[problem] += 1
                self.examples.setdefault(problem, detail[:300])


@dataclass(frozen=True)
class Stats:
    """Throughput and latency of a set of requests."""

    ops: int
    errors: int
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class Result:
    """The outcome of one benchmark run against one database."""

    database: str
    count: int
    concurrency: int
    wall_s: float
    client_cpu_s: float
    overall: Stats
    kinds: dict[str, Stats]
    errors: dict[str, int]
    examples: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        """Return the result as plain JSON data."""
        return asdict(self)


# --- the workload ---------------------------------------------------------------------------


def new_incident(index: int) -> dict[str, Any]:
    """Return the body that opens incident number `index` of the run."""
    return {
        "title": f"Benchmark incident {index}",
        "severity": SEVERITIES[index % len(SEVERITIES)],
        "service": SERVICE,
        "regions": list(REGIONS[: 1 + index % len(REGIONS)]),
    }


def call(
    client: httpx.Client, rec: Recorder, kind: str, path: str, body: dict[str, Any] | None
) -> dict[str, Any] | None:
    """POST one request and record it; return its JSON body, or None when it failed."""
    started = time.perf_counter()
    try:
        response = client.post(path, json=body)
    except httpx.HTTPError as error:
        rec.add(kind, time.perf_counter() - started, f"{kind} {type(error).__name__}", str(error))
        return None
    elapsed = time.perf_counter() - started
    if not response.is_success:
        rec.add(kind, elapsed, f"{kind} {response.status_code}", response.text)
        return None
    rec.add(kind, elapsed)
    data: dict[str, Any] = response.json()
    return data


def lifecycle(client: httpx.Client, rec: Recorder, index: int) -> None:
    """Open one incident and walk it to resolved, stopping at the first failure."""
    created = call(client, rec, "create", INCIDENTS, new_incident(index))
    if created is None:
        return
    base = f"{INCIDENTS}/{created['ref']}"
    steps: list[tuple[str, str, dict[str, Any] | None]] = [
        ("acknowledge", f"{base}/acknowledge", None),
        ("note", f"{base}/notes", {"text": f"Benchmark note on incident {index}."}),
        ("mitigate", f"{base}/mitigate", None),
        ("resolve", f"{base}/resolve", None),
    ]
    for kind, path, body in steps:
        if call(client, rec, kind, path, body) is None:
            return


def preflight(client: httpx.Client) -> None:
    """Check that the token works and the server knows the `bench` service."""
    try:
        response = client.get(f"/api/v1/services/{SERVICE}")
    except httpx.HTTPError as error:
        raise BenchError(f"cannot reach the server: {error}") from error
    if response.status_code == 404:
        raise BenchError(f"the server has no service named {SERVICE!r}: add it to fireline.yaml")
    if not response.is_success:
        raise BenchError(f"GET /api/v1/services/{SERVICE}: {response.status_code} {response.text}")


def drive(url: str, token: str, *, count: int, concurrency: int) -> tuple[Recorder, float]:
    """Run `count` lifecycles, `concurrency` at a time; return the samples and the wall time."""
    rec = Recorder()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    client = httpx.Client(base_url=url, headers=headers, limits=limits, timeout=REQUEST_TIMEOUT_S)
    pool = ThreadPoolExecutor(concurrency, thread_name_prefix="bench")
    try:
        preflight(client)
        started = time.perf_counter()
        list(pool.map(lambda index: lifecycle(client, rec, index), range(count)))
        wall = time.perf_counter() - started
    finally:
        pool.shutdown(cancel_futures=True)  # on Ctrl-C, do not start the queued lifecycles
        client.close()
    return rec, wall


# --- statistics -----------------------------------------------------------------------------


def summarize(latencies: list[float], errors: int, wall_s: float) -> Stats:
    """Reduce latencies (seconds) to throughput and percentiles (milliseconds)."""
    ordered = sorted(latencies)
    return Stats(
        ops=len(ordered),
        errors=errors,
        ops_per_s=len(ordered) / wall_s if wall_s > 0 else 0.0,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        max_ms=(ordered[-1] * 1000) if ordered else 0.0,
    )


def measure(database: str, url: str, token: str, *, count: int, concurrency: int) -> Result:
    """Run the workload against `url` and summarize it."""
    cpu_before = time.process_time()
    rec, wall = drive(url, token, count=count, concurrency=concurrency)
    client_cpu = time.process_time() - cpu_before
    failed: Counter[str] = Counter()
    for problem, times in rec.errors.items():
        failed[problem.split(" ", 1)[0]] += times
    everything = [s for kind in KINDS for s in rec.latencies[kind]]
    return Result(
        database=database,
        count=count,
        concurrency=concurrency,
        wall_s=wall,
        client_cpu_s=client_cpu,
        overall=summarize(everything, sum(rec.errors.values()), wall),
        kinds={k: summarize(rec.latencies[k], failed[k], wall) for k in KINDS},
        errors=dict(rec.errors),
        examples=rec.examples,
    )


# --- a server of our own --------------------------------------------------------------------


def run_spawned(database: str, args: argparse.Namespace) -> Result | str:
    """Benchmark a server of our own on a fresh `database`; return a reason if skipped."""
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fireline-bench-")))
        try:
            url = stack.enter_context(fresh_database(database, workdir, args.postgres_url))
        except psycopg.Error as error:
            return unreachable(args.postgres_url, error)
        console.print(f"[bold]{database}[/]: starting a server on a fresh database…")
        server, token = stack.enter_context(spawned_server(url, workdir, CONFIG_YAML))
        result = measure(database, server, token, count=args.count, concurrency=args.concurrency)
    return result


# --- the baseline and the report ------------------------------------------------------------


def baseline_entry(result: Result) -> dict[str, Any]:
    """Return the figures of `result` that the baseline keeps."""
    figures = {"all": result.overall, **result.kinds}
    return {
        "count": result.count,
        "concurrency": result.concurrency,
        **{
            name: {
                "ops_per_s": round(s.ops_per_s, 1),
                "p50_ms": round(s.p50_ms, 2),
                "p99_ms": round(s.p99_ms, 2),
            }
            for name, s in figures.items()
        },
    }


def write_baseline(path: Path, results: list[Result]) -> None:
    """Store the figures of `results` as the baseline, keeping other databases' entries."""
    store_baseline(
        path,
        "Reference figures of bench/incidents.py; rewrite with --write-baseline.",
        {r.database: baseline_entry(r) for r in results},
    )


def table_of(result: Result, baseline: dict[str, Any] | None) -> Table:
    """Build the Rich table of one result, with ratios to its baseline."""
    table = Table(title=f"[bold]{result.database}[/]", title_justify="left")
    table.add_column("operation")
    for heading in ("ops", "errors", "ops/s", "p50 ms", "p99 ms", "max ms"):
        table.add_column(heading, justify="right")
    for name, stats in [*result.kinds.items(), ("all", result.overall)]:
        ref = (baseline or {}).get(name, {})
        table.add_row(
            f"[bold]{name}[/]" if name == "all" else name,
            f"{stats.ops:,}",
            f"[red]{stats.errors:,}[/]" if stats.errors else "0",
            figure(stats.ops_per_s, ref.get("ops_per_s"), 1),
            figure(stats.p50_ms, ref.get("p50_ms"), 2),
            figure(stats.p99_ms, ref.get("p99_ms"), 2),
            f"{stats.max_ms:,.2f}",
            end_section=name == KINDS[-1],
        )
    return table


def report(result: Result, baseline: dict[str, Any] | None, source: Path) -> None:
    """Print one result: its table, how it compares, and its errors."""
    console.print(table_of(result, baseline))
    console.print(
        f"{result.database}: {result.overall.ops:,} requests in {result.wall_s:.2f} s, "
        f"{result.count:,} incidents, concurrency {result.concurrency}; "
        f"the client used {result.client_cpu_s:.1f} CPU-s",
        highlight=False,
    )
    if baseline is None:
        console.print("[dim]no baseline for this database[/]")
    elif (baseline["count"], baseline["concurrency"]) != (result.count, result.concurrency):
        console.print(
            f"[yellow]the baseline was measured with --count {baseline['count']} "
            f"--concurrency {baseline['concurrency']}: ratios are not like for like[/]"
        )
    else:
        console.print(f"[dim](n.nn×) = this run ÷ the baseline in {source}[/]", highlight=False)
    for problem, times in sorted(result.errors.items()):
        console.print(f"[red]{times} × {problem}[/]: {result.examples[problem]}", highlight=False)


# --- the command line -----------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--server", metavar="URL", help="drive this running server")
    target.add_argument(
        "--spawn", action="append", choices=["sqlite", "postgres"], help="start a server per DB"
    )
    parser.add_argument("--token", default=os.environ.get("FIRELINE_TOKEN"), help="with --server")
    parser.add_argument("--label", default="server", help="name of the --server run's database")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("FIRELINE_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL,
        help="PostgreSQL server where --spawn postgres creates its database",
    )
    parser.add_argument("--count", type=int, default=500, help="incidents (default 500)")
    parser.add_argument("--concurrency", type=int, default=16, help="in flight (default 16)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument("--baseline", type=Path, default=BASELINE_PATH, help="baseline file")
    parser.add_argument("--write-baseline", action="store_true", help="store this run's figures")
    args = parser.parse_args(argv)
    if args.server and not args.token:
        parser.error("--server needs --token (or FIRELINE_TOKEN)")
    if args.count < 1 or args.concurrency < 1:
        parser.error("--count and --concurrency must be at least 1")
    return args


def collect(
    args: argparse.Namespace, baseline: dict[str, Any]
) -> tuple[list[Result], dict[str, str]]:
    """Run and report every requested benchmark; return the results and the skipped databases."""
    results: list[Result] = []
    skipped: dict[str, str] = {}
    for database in [args.label] if args.server else dict.fromkeys(args.spawn):
        if args.server:
            outcome: Result | str = measure(
                database, args.server, args.token, count=args.count, concurrency=args.concurrency
            )
        else:
            outcome = run_spawned(database, args)
        if isinstance(outcome, str):
            console.print(f"[yellow]{database} skipped[/]: {outcome}", highlight=False)
            skipped[database] = outcome
            continue
        report(outcome, baseline.get(database), args.baseline)
        results.append(outcome)
    return results, skipped


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 1 if any request failed or the benchmark could not run."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupt)
    busy = warn_if_busy()
    try:
        results, skipped = collect(args, load_baseline(args.baseline))
    except BenchError as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False)
        return 1
    except KeyboardInterrupt:
        console.print("[bold red]interrupted[/]: the servers were stopped and databases dropped")
        return 130
    if args.json:
        document = {
            "cpu_busy_before_start": busy,
            "results": [r.to_json() for r in results],
            "skipped": skipped,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    errors = sum(r.overall.errors for r in results)
    if errors:
        console.print(f"[bold red]{errors} request(s) failed[/]")
        return 1
    if args.write_baseline:
        write_baseline(args.baseline, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
