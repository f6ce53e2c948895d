"""Group commit for intake: the batches of concurrent senders share one transaction.

Each sender's batch still commits whole or not at all, and its sender is answered only once
that commit is done. A batch that arrives while a transaction is running waits for the next
one, which takes everything queued meanwhile (up to `max_alerts`): the busier intake is, the
more each transaction carries, and an idle server commits a lone batch at once. If a shared
transaction fails, each batch in it is tried again alone, so one bad batch cannot fail the
others beside it.

No thread of its own: a sender that finds fewer than `transactions` leaders committing
becomes one and drains the queue in a worker thread; the others only wait for their results.
SQLite has one writer, so one leader serves it best. On PostgreSQL a few leaders keep its
backends busy in parallel: with one, every round trip of every transaction would wait its
turn in one thread (and for the GIL); with a thread per request, no two requests would share
a commit.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass

from fireline.services.ingest import IngestRequest, IngestResult, ingest_together
from fireline.store.uow import UnitOfWork

# Alerts one shared transaction takes at most (a bigger batch still goes alone).
MAX_ALERTS = 1000


@dataclass(frozen=True, slots=True)
class _Waiting:
    request: IngestRequest
    result: Future[IngestResult]


class GroupCommit:
    """Queues intake batches and commits them group by group."""

    def __init__(
        self, uow: UnitOfWork, *, max_alerts: int = MAX_ALERTS, transactions: int = 1
    ) -> None:
        self._uow = uow
        self._max_alerts = max_alerts
        self._transactions = transactions
        self._lock = threading.Lock()
        self._queue: deque[_Waiting] = deque()
        self._leaders = 0

    def submit(self, request: IngestRequest) -> tuple[Future[IngestResult], bool]:
        """Queue `request`; return its result to wait for and whether to call `drain()` now.

        Cancelling the result before its transaction starts withdraws the batch; once the
        transaction has started it can no longer be cancelled.
        """
        result: Future[IngestResult] = Future()
        with self._lock:
            self._queue.append(_Waiting(request, result))
            if self._leaders >= self._transactions:
                return result, False
            self._leaders += 1
        return result, True

    def drain(self) -> None:
        """Commit what is queued, group after group, until nothing is left (a worker thread)."""
        try:
            while True:
                with self._lock:
                    group = self._take()
                    if not group:
                        self._leaders -= 1
                        return
                self._commit(group)
        except BaseException:
            with self._lock:
                self._leaders -= 1
            raise

    def _take(self) -> list[_Waiting]:
        group: list[_Waiting] = []
        alerts = 0
        while self._queue:
            size = len(self._queue[0].request.alerts)
            if group and alerts + size > self._max_alerts:
                break
            waiting = self._queue.popleft()
            if waiting.result.set_running_or_notify_cancel():  # False: its sender went away
                group.append(waiting)
                alerts += size
        return group

    def _commit(self, group: list[_Waiting]) -> None:
        if len(group) == 1:
            self._commit_alone(group[0])
            return
        try:
            results = ingest_together(self._uow, [waiting.request for waiting in group])
        except Exception:
            for waiting in group:
                self._commit_alone(waiting)
            return
        for waiting, result in zip(group, results, strict=True):
            waiting.result.set_result(result)

    def _commit_alone(self, waiting: _Waiting) -> None:
        try:
            result = ingest_together(self._uow, [waiting.request])[0]
        except Exception as error:
            waiting.result.set_exception(error)
        else:
            waiting.result.set_result(result)
