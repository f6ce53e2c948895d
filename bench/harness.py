"""What the benchmarks share: a `fireline serve` of their own, fresh databases, statistics.

`bench/incidents.py` and `bench/intake.py` import this module (Python puts `bench/` on the
path when it runs a script from it). Nothing here knows about a particular workload.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from rich.console import Console
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
READY_TIMEOUT_S = 30.0
POLL_INTERVAL_S = 0.05
STOP_TIMEOUT_S = 10.0
LOG_TAIL_CHARS = 2000
BUSY_WINDOW_S = 0.5
BUSY_FRACTION = 0.2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

console = Console(width=None if sys.stdout.isatty() else 120)


class BenchError(Exception):
    """The benchmark could not run (bad setup, server failed to start, ...)."""


# --- statistics -----------------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of an ascending list (0.0 when it is empty)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def figure(value: float, reference: float | None, digits: int) -> str:
    """Format a figure, followed by its ratio to the baseline when there is one."""
    text = f"{value:,.{digits}f}"
    if reference:
        text += f" [dim]({value / reference:.2f}×)[/]"
    return text


def process_cpu_s(pid: int) -> float:
    """Return the CPU seconds (user + system) a process and its live children have used.

    The children are `fireline serve --workers N`'s worker processes; 0.0 if it is gone.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return own + sum(process_cpu_s(child) for child in children(pid))


def children(pid: int) -> list[int]:
    """Return the pids of a process's children (empty if it is gone)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in task.read_text(encoding="ascii").split()]
    return found


def cpu_sample() -> tuple[int, int]:
    """Return (idle, total) CPU time so far from /proc/stat."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return ticks[3] + ticks[4], sum(ticks)


def busy_between(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Return the fraction of the machine's CPU time that was busy between two samples."""
    return 1 - (after[0] - before[0]) / max(1, after[1] - before[1])


def warn_if_busy() -> float | None:
    """Warn when other work keeps the CPUs busy; return the busy fraction (None off Linux)."""
    if not Path("/proc/stat").exists():
        return None
    before = cpu_sample()
    time.sleep(BUSY_WINDOW_S)
    busy = busy_between(before, cpu_sample())
    if busy > BUSY_FRACTION:
        console.print(
            f"[yellow]other processes keep the CPUs {busy:.0%} busy: figures will be noisy[/]"
        )
    return busy


def machine() -> str:
    """Describe this machine for a baseline file."""
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def git(*args: str) -> str:
    """Run git in this checkout and return its output."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def source_state() -> str:
    """Name the code being measured: the Git commit, and a digest of uncommitted src/ edits."""
    try:
        commit = git("rev-parse", "--short", "HEAD")
        edits = git("status", "--porcelain", "--", "src") + git("diff", "HEAD", "--", "src")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a Git checkout)"
    if not edits:
        return commit
    return f"{commit} + uncommitted src/ edits {hashlib.sha256(edits.encode()).hexdigest()[:8]}"


def load_baseline(path: Path) -> dict[str, Any]:
    """Return the baseline figures per database ({} when there is no file)."""
    if not path.exists():
        return {}
    databases: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["databases"]
    return databases


def store_baseline(path: Path, about: str, entries: dict[str, Any]) -> None:
    """Write `entries` (per database) into the baseline file, keeping other databases."""
    databases = load_baseline(path)
    databases.update(entries)
    document = {"about": about, "machine": machine(), "databases": dict(sorted(databases.items()))}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    console.print(f"baseline written to {path}")


def interrupt(signum: int, _frame: object) -> None:
    """Turn SIGTERM into KeyboardInterrupt, so that servers and databases are cleaned up."""
    raise KeyboardInterrupt(signal.Signals(signum).name)


# --- a server of our own --------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A running `fireline serve`: its base URL and its process."""

    url: str
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        return int(self.url.rsplit(":", 1)[1])


def fireline_exe() -> Path:
    """Return the `fireline` command installed next to this Python."""
    exe = Path(sys.executable).parent / "fireline"
    if not exe.exists():
        raise BenchError(f"no {exe}: run the benchmark with the virtualenv's python")
    return exe


def run_cli(args: list[str], env: dict[str, str]) -> str:
    """Run `fireline ARGS` and return its standard output."""
    done = subprocess.run(
        [str(fireline_exe()), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"fireline {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def tail(path: Path) -> str:
    """Return the end of a log file."""
    return path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]


def wait_ready(url: str, server: subprocess.Popen[bytes], log: Path, path: str = "/readyz") -> None:
    """Poll GET `path` until it answers 200, the server dies, or the deadline passes."""
    deadline = time.perf_counter() + READY_TIMEOUT_S
    with httpx.Client(base_url=url, timeout=2.0) as client:
        while time.perf_counter() < deadline:
            if server.poll() is not None:
                raise BenchError(f"the server exited with {server.returncode}:\n{tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(path).status_code == 200:
                    return
            time.sleep(POLL_INTERVAL_S)
    raise BenchError(f"the server was not ready within {READY_TIMEOUT_S:.0f} s:\n{tail(log)}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Ask the server to stop, and kill it if it does not."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def server_env(database_url: str, workdir: Path, config_yaml: str) -> dict[str, str]:
    """Return the environment of the spawned commands: our database, config and log level."""
    config = workdir / "fireline.yaml"
    config.write_text(config_yaml, encoding="utf-8")
    return {
        **os.environ,
        "FIRELINE_DATABASE_URL": database_url,
        "FIRELINE_CONFIG": str(config),
        "FIRELINE_LOG_LEVEL": "warning",
    }


def prepare(env: dict[str, str]) -> str:
    """Migrate the database of `env`, load its config's services; return a new admin token."""
    run_cli(["db", "upgrade"], env)
    run_cli(["apply", env["FIRELINE_CONFIG"]], env)
    issued = run_cli(["token", "create", "--name", "bench", "--role", "admin", "--json"], env)
    return str(json.loads(issued)["secret"])


@contextlib.contextmanager
def serving(env: dict[str, str], workdir: Path) -> Iterator[Served]:
    """Start `fireline serve` on a free port with `env`; yield it once ready; stop it."""
    port = free_port()
    log = workdir / "server.log"
    command = [str(fireline_exe()), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as sink:
        server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, server, log)
        yield Served(url, server)
    finally:
        stop(server)


@contextlib.contextmanager
def spawned_server(database_url: str, workdir: Path, config_yaml: str) -> Iterator[tuple[str, str]]:
    """Migrate, create an admin token, serve; yield (base URL, token); stop the server."""
    env = server_env(database_url, workdir, config_yaml)
    token = prepare(env)
    with serving(env, workdir) as served:
        yield served.url, token


# --- databases ------------------------------------------------------------------------------


def pg_conninfo(url: str) -> str:
    """Return the libpq connection string of a SQLAlchemy PostgreSQL URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_execute(url: str, statement: sql.Composed) -> None:
    """Run one statement in autocommit on the server of a SQLAlchemy PostgreSQL URL."""
    with psycopg.connect(pg_conninfo(url), autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement)


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """Create a fresh database next to `admin_url`; yield its URL; drop it afterwards."""
    name = f"fireline_bench_{secrets.token_hex(6)}"
    pg_execute(admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        pg_execute(admin_url, drop)


@contextlib.contextmanager
def fresh_database(
    database: str, workdir: Path, postgres_url: str, name: str = "bench"
) -> Iterator[str]:
    """Yield the URL of a new, empty database of the given kind."""
    if database == "sqlite":
        yield f"sqlite:///{workdir / f'{name}.db'}"
        return
    with postgres_database(postgres_url) as url:
        yield url


def unreachable(postgres_url: str, error: psycopg.Error) -> str:
    """Say why PostgreSQL was skipped."""
    reason = " ".join(str(error).split())
    return f"PostgreSQL at {postgres_url} is unreachable: {reason}"
