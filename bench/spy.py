"""Sample the server with py-spy during a phase, and summarize where it held the GIL.

py-spy is not a dependency of Fireline: install it into the virtualenv to profile
(`.venv/bin/pip install py-spy`). It records with `--gil`, so each sample is a stack of the
thread holding the GIL, i.e. Python CPU time. It pauses the server for each sample, which
slows it down (15 % at concurrency 16, up to 40 % at 64 on PostgreSQL, on 2 cores): profiled
figures are not baselines, and the HTTP layer's share grows under that stress.

A summary sorts samples into areas of the request's path (HTTP, parsing, routing, ingest,
SQLAlchemy, the driver) by the innermost Fireline frame and the leaf's package, and also
lists them by innermost Fireline function and leaf package (`AlertRepo.upsert_firing
[sqlalchemy]` = SQLAlchemy code called by that repository method).

    .venv/bin/python bench/spy.py /tmp/profiles/sqlite-one-c16.txt   # summarize again
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

RATE_HZ = 250
FRAME = re.compile(r"^(?P<name>.*) \((?P<file>.*?):\d+\)$")
SERVER_LOOP = ("uvicorn", "starlette", "fastapi", "asyncio", "anyio")
TOP = 25


def py_spy() -> Path | None:
    """Return the py-spy next to this Python, if it is installed."""
    exe = Path(sys.executable).parent / "py-spy"
    return exe if exe.exists() else None


@contextlib.contextmanager
def recording(pid: int, output: Path) -> Iterator[None]:
    """Record the process `pid` and its children (a server's workers and engine) into `output`
    (collapsed stacks) while the block runs."""
    exe = py_spy()
    if exe is None:
        raise FileNotFoundError("py-spy is not installed: .venv/bin/pip install py-spy")
    argv = [str(exe), "record", "--pid", str(pid), "--subprocesses", "--gil", "--format", "raw"]
    argv += ["--rate", str(RATE_HZ), "--output", str(output)]
    spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def frames(stack: str) -> list[tuple[str, str]]:
    """Return (function, file) of each frame of a collapsed stack, outermost first."""
    parsed = []
    for text in stack.split(";"):
        found = FRAME.match(text)
        if found and not text.startswith(("thread (", "process ")):
            parsed.append((found["name"], found["file"]))
    return parsed


def package(file: str) -> str:
    """Name the package a source file belongs to (`sqlalchemy`, `fireline`, `json`, ...)."""
    return file.split("/", 1)[0].removesuffix(".py")


def owner(parsed: list[tuple[str, str]]) -> str:
    """Return the innermost Fireline function of a stack, or what runs outside Fireline."""
    ours = [name for name, file in parsed if file.startswith("fireline/")]
    if ours:
        return ours[-1]
    if any(package(file) in SERVER_LOOP for _, file in parsed):
        return "(HTTP server, outside Fireline)"
    return "(other)"


STORE_LEAVES = {
    "sqlalchemy": "database: SQLAlchemy (statements, ORM, sessions)",
    "psycopg": "database: driver (psycopg)",
    "sqlite3": "database: driver (sqlite3)",
    "json": "database: JSON columns (stdlib json)",
}
AREAS = (
    (("fireline/services/", "fireline/domain/incidents/"), "ingest, incidents and timeline"),
    (("fireline/domain/routing/",), "routing and templates"),
    (("fireline/integrations/", "fireline/domain/alerts/", "fireline/domain/labels"), "parsing"),
)


def area(parsed: list[tuple[str, str]]) -> str:
    """Sort a stack into a coarse area of the request's path, by its innermost Fireline frame."""
    leaf = package(parsed[-1][1])
    ours = [file for _, file in parsed if file.startswith("fireline/")]
    inner = ours[-1] if ours else ""
    if inner.startswith("fireline/store/"):
        return STORE_LEAVES.get(leaf, "database: Fireline's repositories")
    if leaf == "jinja2":
        return "routing and templates"
    for prefixes, name in AREAS:
        if inner.startswith(prefixes):
            return name
    return "HTTP: uvicorn, Starlette, FastAPI, middleware, thread hand-off"


def tally(path: Path) -> tuple[int, Counter[str], Counter[str], Counter[str], Counter[str]]:
    """Count samples: total, by area, by leaf package, by owner × leaf, by Fireline function."""
    total = 0
    areas: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        parsed = frames(stack)
        if not parsed or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        leaf = package(parsed[-1][1])
        areas[area(parsed)] += samples
        leaves[leaf] += samples
        owners[f"{owner(parsed)} [{leaf}]"] += samples
        for name in {name for name, file in parsed if file.startswith("fireline/")}:
            inclusive[name] += samples
    return total, areas, leaves, owners, inclusive


def summary(path: Path, top: int = TOP) -> str:
    """Return a text summary of a collapsed-stack file."""
    total, areas, leaves, owners, inclusive = tally(path)
    if not total:
        return f"{path}: no samples"
    lines = [f"{path}: {total:,} samples of the thread holding the GIL"]
    for title, counter in (
        ("by area", areas),
        ("by package of the leaf frame", leaves),
        ("by innermost Fireline function [package of the leaf frame]", owners),
        ("by Fireline function, inclusive", inclusive),
    ):
        lines.append(f"-- {title}")
        lines += [f"  {n / total:6.1%}  {name}" for name, n in counter.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        print(summary(Path(argument)))
