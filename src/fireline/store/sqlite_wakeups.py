"""Waking engines in other processes on SQLite: a datagram to each engine's Unix socket.

PostgreSQL has LISTEN/NOTIFY (see `listen.py`); SQLite has no channel of its own. Each engine
process binds a datagram socket in `<database>-engines/`, named by its process id. A process
whose commit queued engine work sends one empty datagram to every socket there but its own,
and the engine wakes at once instead of at its next poll. Sending never blocks and never
fails a commit: a full socket buffer means that engine is awake already, and a socket nobody
listens on (an engine that died) is removed. Polling stays as the safety net.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path

log = logging.getLogger("fireline.engine")
DIRECTORY_SUFFIX = "-engines"
# How long the list of engine sockets is trusted before the directory is read again.
RESCAN_S = 1.0
RECEIVE_TIMEOUT_S = 1.0
# sockaddr_un holds 108 bytes; a longer path cannot be bound.
MAX_SOCKET_PATH = 100


class SqliteWakeups:
    """Engine wake-ups between the processes that share one SQLite database file."""

    def __init__(self, database: str) -> None:
        self.directory = Path(os.path.abspath(database) + DIRECTORY_SUFFIX)
        self._own = str(os.getpid())
        self._sockets: list[str] = []
        self._scanned_at = float("-inf")
        self._lock = threading.Lock()

    def notify(self) -> None:
        """Wake every engine listening on this database (never raises, never blocks)."""
        with self._lock:
            now = time.monotonic()
            if now - self._scanned_at > RESCAN_S:
                self._sockets = self._scan()
                self._scanned_at = now
            if not self._sockets:
                return
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
                sender.setblocking(False)  # noqa: FBT003 - the socket API
                for path in list(self._sockets):
                    self._send(sender, path)

    def _scan(self) -> list[str]:
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        return [str(self.directory / name) for name in names if name != self._own]

    def _send(self, sender: socket.socket, path: str) -> None:
        try:
            sender.sendto(b"", path)
        except BlockingIOError:
            pass  # its buffer is full of wake-ups: that engine is awake
        except (ConnectionRefusedError, FileNotFoundError):
            self._sockets.remove(path)
            try:
                os.unlink(path)  # nobody listens there: an engine that died
            except OSError:
                pass
        except OSError as error:
            log.debug("engine wake-up to %s failed: %s", path, error)

    def listen(self, woken: threading.Event, stop: threading.Event) -> bool:
        """Bind this process's socket and set `woken` on each datagram until `stop` is set.

        Returns False (the engine then polls) when the socket cannot be bound.
        """
        path = str(self.directory / self._own)
        if len(path) > MAX_SOCKET_PATH:
            log.warning("engine wake-ups: %s is too long a socket path; polling instead", path)
            return False
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self.directory.mkdir(mode=0o700, exist_ok=True)
            if os.path.exists(path):
                os.unlink(path)  # left by an engine that died with this pid
            receiver.bind(path)
        except OSError as error:
            receiver.close()
            log.warning("engine wake-ups: cannot bind %s (%s); polling instead", path, error)
            return False
        receiver.settimeout(RECEIVE_TIMEOUT_S)
        thread = threading.Thread(
            target=_receive,
            args=(receiver, path, woken, stop),
            name="fireline-wakeups",
            daemon=True,
        )
        thread.start()
        return True


def _receive(
    receiver: socket.socket, path: str, woken: threading.Event, stop: threading.Event
) -> None:
    try:
        while not stop.is_set():
            try:
                receiver.recv(16)
            except TimeoutError:
                continue
            woken.set()
    finally:
        receiver.close()
        try:
            os.unlink(path)
        except OSError:
            pass
