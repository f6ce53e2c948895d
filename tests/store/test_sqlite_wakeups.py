"""On SQLite, a commit that queued engine work wakes engines in other processes by datagram."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fireline.store.sqlite_wakeups import SqliteWakeups

WAKE_TIMEOUT_S = 30.0


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[tuple[str, threading.Event]]:
    database = str(tmp_path / "fireline.db")
    woken, stop = threading.Event(), threading.Event()
    assert SqliteWakeups(database).listen(woken, stop)
    yield database, woken
    stop.set()


def test_a_commit_in_another_process_wakes_the_engine(
    listening: tuple[str, threading.Event],
) -> None:
    database, woken = listening
    code = "import sys; from fireline.store.sqlite_wakeups import SqliteWakeups as W; "
    code += "W(sys.argv[1]).notify()"
    subprocess.run([sys.executable, "-c", code, database], check=True, timeout=60)
    assert woken.wait(WAKE_TIMEOUT_S)


def test_a_process_does_not_wake_itself(listening: tuple[str, threading.Event]) -> None:
    database, woken = listening
    wakeups = SqliteWakeups(database)
    wakeups.notify()
    assert wakeups._sockets == []  # noqa: SLF001 - its own socket is skipped
    assert not woken.is_set()


def test_the_socket_of_an_engine_that_died_is_removed(tmp_path: Path) -> None:
    wakeups = SqliteWakeups(str(tmp_path / "fireline.db"))
    wakeups.directory.mkdir()
    dead = wakeups.directory / "99999999"
    bound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    bound.bind(str(dead))
    bound.close()  # the file stays; nobody receives on it
    wakeups.notify()
    assert not dead.exists()
    wakeups.notify()  # nothing left to wake: no error


def test_no_engine_listening_is_no_error(tmp_path: Path) -> None:
    SqliteWakeups(str(tmp_path / "fireline.db")).notify()


def test_a_path_too_long_for_a_socket_falls_back_to_polling(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 90)
    deep.mkdir()
    assert not SqliteWakeups(str(deep / "fireline.db")).listen(threading.Event(), threading.Event())


def test_the_socket_is_removed_when_the_engine_stops(tmp_path: Path) -> None:
    wakeups = SqliteWakeups(str(tmp_path / "fireline.db"))
    stop = threading.Event()
    assert wakeups.listen(threading.Event(), stop)
    own = wakeups.directory / str(os.getpid())
    assert own.exists()
    stop.set()
    threads = [t for t in threading.enumerate() if t.name == "fireline-wakeups"]
    for thread in threads:
        thread.join(timeout=WAKE_TIMEOUT_S)
    assert not own.exists()
