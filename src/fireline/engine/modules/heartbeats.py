"""Opens an incident for every heartbeat that stopped arriving."""

from __future__ import annotations

from datetime import datetime

from fireline.services.container import Container
from fireline.services.heartbeats import check_heartbeats


class Heartbeats:
    """The heartbeat watchdog."""

    name = "heartbeats"

    def run_once(self, container: Container, *, now: datetime) -> int:
        """Check every configured heartbeat; return how many incidents were opened."""
        config = container.live_config.current()
        if config is None or not config.heartbeats:
            return 0
        return len(check_heartbeats(container.uow, config=config, now=now))
