"""SQLite's writers take turns: a lock in the process, then a lock on a file beside the database.

SQLite lets one transaction write at a time. Left to SQLite, a writer that finds the database
busy sleeps and retries with growing sleeps, which starves some writers for seconds under load.
Queueing on a `threading.Lock` serves the writers of one process in turn; queueing on an
exclusive `flock` of `<database>-writer.lock` does the same between processes (a `fireline
engine` beside `fireline serve --no-engine`): the kernel wakes the next writer the moment the
last one is done.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from types import TracebackType

LOCK_SUFFIX = "-writer.lock"


class WriteTurn:
    """A context manager held for the whole of a SQLite write transaction."""

    def __init__(self, database: str | None) -> None:
        """Take turns on `database` (a file path); None (in memory) locks in-process only."""
        self._local = threading.Lock()
        self._path = None if database is None else database + LOCK_SUFFIX
        self._fd: int | None = None

    def __enter__(self) -> WriteTurn:
        self._local.acquire()
        try:
            if self._path is not None:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                    weakref.finalize(self, os.close, self._fd)  # closed with the unit of work
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._local.release()
            raise
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._local.release()
