"""A real Prometheus Alertmanager to measure Fireline against: a null receiver, on loopback.

A compact cousin of tests/support/alertmanager.py (benchmarks do not import tests): one
process with its own free port, storage directory and log, clustering off
(`--cluster.listen-address=`), so it never meets the Debian package's daemon on :9093/:9094.
Every alert goes to a receiver with no notifier, so Alertmanager stores, routes and groups
each alert it is sent but notifies nobody: the benchmark measures its intake alone.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from harness import BenchError, Served, free_port, stop, wait_ready

BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")  # Debian's name, upstream's name
CONFIG = """\
# Written by bench/alertmanager_server.py: every alert is routed and grouped, none is sent.
route:
  receiver: "null"
  group_by: [alertname, region]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: "null"
"""


def binary() -> str | None:
    """Return the Alertmanager executable, or None when it is not installed."""
    for name in BINARY_NAMES:
        found = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/local/bin")
        if found:
            return found
    return None


def version(executable: str) -> str:
    """Return the first line of `alertmanager --version`."""
    done = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=False, timeout=30
    )
    return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else "?"


@contextlib.contextmanager
def alertmanager(executable: str, directory: Path, *, config: str = CONFIG) -> Iterator[Served]:
    """Start Alertmanager under `directory` with `config` (default: a null receiver); yield it
    once `/-/ready`; stop it."""
    directory.mkdir(parents=True, exist_ok=True)
    config_file = directory / "alertmanager.yml"
    config_file.write_text(config, encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [
        executable,
        f"--config.file={config_file}",
        f"--storage.path={directory / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--web.external-url={url}",
        "--cluster.listen-address=",  # no gossip port, no peers
        "--log.level=warn",
    ]
    log = directory / "alertmanager.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        try:
            wait_ready(url, process, log, path="/-/ready")
        except BenchError as error:
            raise BenchError(f"Alertmanager: {error}") from error
        yield Served(url, process)
    finally:
        stop(process)
