"""The configuration a running server uses: the newest applied revision, reloaded on change.

`fireline apply` records a revision in the database; every server notices within
`reload_interval_s` and switches to it without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fireline.clock import Clock
from fireline.domain.configuration import Configuration
from fireline.store.repos.config_revision import AppliedConfig
from fireline.store.uow import UnitOfWork

Parse = Callable[[AppliedConfig], Configuration]


class LiveConfig:
    """Holds the parsed live configuration and notices newer revisions."""

    def __init__(
        self, uow: UnitOfWork, *, parse: Parse, clock: Clock, reload_interval_s: float = 1.0
    ) -> None:
        self._uow = uow
        self._parse = parse
        self._clock = clock
        self._interval = reload_interval_s
        self._lock = threading.Lock()
        self._revision_id: int | None = None
        self._config: Configuration | None = None
        self._checked_at: float | None = None

    def current(self) -> Configuration | None:
        """Return the live configuration (None before any was applied)."""
        now = self._clock.monotonic()
        if self._checked_at is not None and now - self._checked_at < self._interval:
            return self._config
        with self._lock:
            # A failed read raises (Unavailable → 503) and leaves _checked_at alone, so the
            # next request asks again instead of trusting a stale "nothing applied".
            with self._uow.read() as tx:
                latest = tx.config_revisions.latest_id()
                applied = None
                if latest is not None and latest != self._revision_id:
                    applied = tx.config_revisions.get(latest)
            if applied is not None:
                self._config = self._parse(applied)
                self._revision_id = latest
            self._checked_at = now
            return self._config

    def refresh(self) -> Configuration | None:
        """Look for a newer revision now, whatever the interval."""
        self._checked_at = None
        return self.current()
