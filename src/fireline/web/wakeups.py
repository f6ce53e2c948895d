"""Results finished in commit threads, handed to the event loop one wake-up per burst.

`asyncio.wrap_future` wakes the loop once per finished future: a write to its self-pipe from
the committing thread, and a read in the loop, for every request. A group commit finishes
dozens of requests at once, so here the first of them schedules one delivery and the rest
join it. Cancelling the awaited future (the sender went away) cancels the thread's future,
which withdraws a batch whose transaction has not started.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class Wakeups(Generic[T]):
    """Bridges thread futures into one event loop, coalescing the loop's wake-ups."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._ready: list[tuple[asyncio.Future[T], Future[T]]] = []
        self._scheduled = False

    def watch(self, done: Future[T]) -> asyncio.Future[T]:
        """Return a future of this loop that finishes as `done` does (call it in the loop)."""
        waiter: asyncio.Future[T] = self._loop.create_future()
        waiter.add_done_callback(lambda w: done.cancel() if w.cancelled() else None)
        done.add_done_callback(lambda d: self._finished(waiter, d))
        return waiter

    def _finished(self, waiter: asyncio.Future[T], done: Future[T]) -> None:
        with self._lock:
            self._ready.append((waiter, done))
            if self._scheduled:
                return
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        with self._lock:
            ready, self._ready = self._ready, []
            self._scheduled = False
        for waiter, done in ready:
            if waiter.done():
                continue
            if done.cancelled():
                waiter.cancel()
            elif (error := done.exception()) is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(done.result())
