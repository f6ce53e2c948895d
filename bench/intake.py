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

This file is the command line. The rest lives beside it: intake_figures.py (what is
measured), intake_config.py (the servers' fireline.yaml), intake_loads.py (the loads and
measuring one), intake_runs.py (each server's phases and checks), intake_report.py.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

import spy
from alertmanager_server import binary
from harness import (
    DEFAULT_POSTGRES_URL,
    BenchError,
    console,
    interrupt,
    load_baseline,
    source_state,
    store_baseline,
    warn_if_busy,
)
from intake_figures import Plan, Result
from intake_report import baseline_entry, report, result_json
from intake_runs import run_database
from load import CLIENTS

BASELINE_PATH = Path(__file__).resolve().parent / "baseline-intake.json"


REPORT_WIDTH = 200


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
        "--workers", type=positive, default=1, help="HTTP worker processes of the server (1)"
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
        workers=args.workers,
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
            "results": [result_json(r) for r in results],
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
