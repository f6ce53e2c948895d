"""Pages each escalation step when its timer fires (and the first step of new incidents)."""

from __future__ import annotations

from datetime import datetime

from fireline.services.container import Container
from fireline.services.paging.escalations import advance_escalations


class Escalations:
    """The escalation timer."""

    name = "escalations"

    def run_once(self, container: Container, *, now: datetime) -> int:
        """Page every due step; return how many steps were paged."""
        config = container.live_config.current()
        if config is None:
            return 0
        return advance_escalations(container.uow, config=config, now=now)
