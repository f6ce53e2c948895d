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

This file is the command line. The rest lives beside it: paging_figures.py (what is
measured), paging_open_loop.py (the load and one phase), paging_stages.py (where a page's
time goes), paging_runs.py (each database, Alertmanager, who is on call), paging_report.py.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import asdict
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
)
from harness import warn_if_busy as busy_before_start
from paging_figures import ONCALL, Outcome, Plan
from paging_receiver import Receiver, receiver
from paging_report import baseline_entries, comparable, goals, report
from paging_runs import calibrate, run_alertmanager, run_database, run_oncall

BASELINE_PATH = Path(__file__).resolve().parent / "baseline-paging.json"
REPORT_WIDTH = 260


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
        choices=["serve", "apart"],
        default="serve",
        help="the engine `fireline serve` runs (default) or a `fireline engine` of its own",
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
