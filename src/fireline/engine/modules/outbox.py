"""Delivers the outbox: claim due messages, send them concurrently, record what happened.

Sending happens outside any transaction, on a small thread pool, so one slow provider does not
hold up the others; the lease on each claimed message outlives the longest send.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from fireline.domain.notify.delivery import Delivery
from fireline.domain.notify.destination import ChannelKind
from fireline.domain.notify.ports import Notifier
from fireline.domain.notify.retry import RetryPolicy
from fireline.services.container import Container
from fireline.services.paging.deliver import Delivering, claim_deliveries, settle_deliveries

log = logging.getLogger("fireline.engine.outbox")
LEASE = timedelta(minutes=2)


class Outbox:
    """The outbox deliverer."""

    name = "outbox"

    def __init__(
        self,
        notifiers: Mapping[ChannelKind, Notifier],
        *,
        workers: int = 8,
        batch: int = 64,
        lease: timedelta = LEASE,
        retry: RetryPolicy | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._notifiers = dict(notifiers)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fireline-send")
        self._batch = batch
        self._lease = lease
        self._retry = retry or RetryPolicy()
        self._jitter = jitter

    def run_once(self, container: Container, *, now: datetime) -> int:
        """Deliver one batch of due messages; return how many were attempted."""
        config = container.live_config.current()
        if config is None:
            return 0
        claimed = claim_deliveries(
            container.uow, oncall=config.oncall, now=now, lease=self._lease, limit=self._batch
        )
        if not claimed:
            return 0
        outcomes = list(zip(claimed, self._pool.map(self._send, claimed), strict=True))
        settle_deliveries(
            container.uow,
            outcomes,
            oncall=config.oncall,
            now=container.clock.now(),
            policy=self._retry,
            jitter=self._jitter,
        )
        return len(claimed)

    def _send(self, delivering: Delivering) -> Delivery:
        if delivering.destination is None:
            return Delivery.failed(delivering.problem or "no destination")
        notifier = self._notifiers.get(delivering.destination.kind)
        if notifier is None:
            return Delivery.failed(f"no notifier for {delivering.destination.kind.value}")
        try:
            return notifier.send(delivering.claimed.message, delivering.destination)
        except Exception:  # a notifier bug must not lose the message: retry it
            log.exception("notifier %s raised", delivering.destination.kind.value)
            return Delivery.retry("the notifier failed unexpectedly; see the engine log")

    def close(self) -> None:
        """Stop the send pool."""
        self._pool.shutdown(wait=True)
