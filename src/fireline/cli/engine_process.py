"""The engine of `fireline serve`: a `fireline engine` child process, restarted if it dies.

In a process of its own the engine has an interpreter lock of its own. Inside the server's
process it shared one with intake and paged at most 330–460 of 500 alerts a second
(bench/README.md, ADR 8). The child learns that its parent is gone through a pipe: the parent
holds the only write end, so the child's read returns end-of-file the moment the parent exits
for whatever reason, even SIGKILL, and the engine stops instead of living on as an orphan.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping

log = logging.getLogger("fireline.engine.process")

# The child's end of the pipe, by descriptor number (set only for a supervised engine).
PARENT_PIPE_ENV = "FIRELINE_ENGINE_PARENT_FD"
# An engine that ran this long before it exited is restarted at once; one that keeps dying
# sooner waits twice as long each time, up to MAX_RESTART_DELAY_S.
STEADY_S = 60.0
FIRST_RESTART_DELAY_S = 0.5
MAX_RESTART_DELAY_S = 30.0


class EngineProcess:
    """Starts `python -m fireline engine`, restarts it when it exits, stops it on `stop()`."""

    def __init__(self, env: Mapping[str, str], *, stop_timeout_s: float) -> None:
        self._env = dict(env)
        self._stop_timeout_s = stop_timeout_s
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._child_end, self._parent_end = os.pipe()
        self._supervisor = threading.Thread(
            target=self._supervise, name="fireline-engine-supervisor", daemon=True
        )

    def start(self) -> int:
        """Start the engine; return its process id. Restarts happen in a thread of their own."""
        pid = self._spawn()
        self._supervisor.start()
        return pid

    @property
    def pid(self) -> int | None:
        """The process id of the engine running now (or of the last one, once stopped)."""
        with self._lock:
            return None if self._process is None else self._process.pid

    def stop(self) -> None:
        """Ask the engine to finish what it is sending and exit; kill it if it takes too long."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self._stop_timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("the engine did not stop within %g s; killed", self._stop_timeout_s)
                process.kill()
                process.wait()
        if self._supervisor.is_alive():
            self._supervisor.join()
        os.close(self._parent_end)
        os.close(self._child_end)

    def _spawn(self) -> int:
        with self._lock:
            if self._stopping.is_set():
                return 0
            self._process = subprocess.Popen(
                [sys.executable, "-m", "fireline", "engine"],
                env={**self._env, PARENT_PIPE_ENV: str(self._child_end)},
                stdin=subprocess.DEVNULL,
                pass_fds=(self._child_end,),
                # Its own session: a Ctrl-C at the terminal reaches the server, which then
                # stops the engine itself, instead of racing it.
                start_new_session=True,
            )
            return self._process.pid

    def _supervise(self) -> None:
        delay = FIRST_RESTART_DELAY_S
        while True:
            with self._lock:
                process = self._process
            started = time.monotonic()
            assert process is not None
            code = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= STEADY_S:
                delay = FIRST_RESTART_DELAY_S
            log.warning(
                "the engine process %d exited with %d; starting another in %g s",
                process.pid,
                code,
                delay,
            )
            next_delay = self._restart_after(delay)
            if next_delay is None:
                return
            delay = next_delay

    def _restart_after(self, delay: float) -> float | None:
        """Wait `delay`, then start another engine; return the next delay, None when stopping."""
        while not self._stopping.wait(delay):
            delay = min(delay * 2, MAX_RESTART_DELAY_S)
            try:
                pid = self._spawn()
            except OSError as error:  # no processes or memory left, say: try again later
                log.warning("could not start the engine (%s); trying again in %g s", error, delay)
                continue
            if pid:
                log.warning("engine restarted as process %d", pid)
            return delay
        return None


def supervised() -> bool:
    """Tell whether this process is the engine a `fireline serve` started."""
    return PARENT_PIPE_ENV in os.environ


def follow_parent(on_parent_gone: Callable[[], None]) -> None:
    """In a supervised engine: call `on_parent_gone` when the server that started it exits."""
    descriptor = os.environ.get(PARENT_PIPE_ENV)
    if descriptor is None:
        return
    fd = int(descriptor)

    def wait_for_end_of_file() -> None:
        while os.read(fd, 1):  # nothing is ever written: only end-of-file returns
            pass
        log.warning("the server that started this engine is gone; stopping")
        on_parent_gone()

    threading.Thread(target=wait_for_end_of_file, name="fireline-parent-watch", daemon=True).start()
