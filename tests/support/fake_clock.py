"""A clock that moves only when a test moves it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """Tells a fixed instant; `advance()` moves it. Each `now()` adds a microsecond tick so
    that events written in one test still have distinct, ordered instants."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._ticks = 0.0

    def now(self) -> datetime:
        """Return the current fake instant."""
        with self._lock:
            self._now += timedelta(microseconds=1)
            return self._now

    def monotonic(self) -> float:
        """Return a fake monotonic reading."""
        with self._lock:
            self._ticks += 0.001
            return self._ticks

    def advance(self, **delta: float) -> datetime:
        """Move time forward by the given timedelta keywords (minutes=30, …)."""
        with self._lock:
            self._now += timedelta(**delta)
            return self._now
