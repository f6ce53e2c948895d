"""The servers of a bench/intake.py run: the main one, Alertmanager and the prefilled one.

Each starts on a fresh database, runs its phases in order and checks what was stored.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg

import database
import spy
from alertmanager_server import alertmanager, version
from harness import console, fresh_database, prepare, server_env, serving, unreachable
from intake_config import CONFIG_YAML, MAIN_INTEGRATION, STORM_INTEGRATION
from intake_figures import EMPTY, ONE_C16, ONE_C64, PREFILLED, Check, Phase, Plan, Result, Target
from intake_loads import (
    Load,
    alertmanager_load,
    batches,
    measure,
    new_incidents,
    one_per_request,
    storm,
)

C16, C64 = 16, 64


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


def fireline_env(url: str, workdir: Path, plan: Plan) -> dict[str, str]:
    """The environment of a server of this benchmark: its database, config and workers."""
    return server_env(url, workdir, CONFIG_YAML) | {"FIRELINE_WORKERS": str(plan.workers)}


def run_main(result: Result, plan: Plan, workdir: Path, postgres_url: str) -> None:
    """Every load but the prefilled one, on a fresh database, then the checks."""
    workdir.mkdir()
    with fresh_database(result.database, workdir, postgres_url, "main") as url:
        env = fireline_env(url, workdir, plan)
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
        env = fireline_env(url, workdir, plan)
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
