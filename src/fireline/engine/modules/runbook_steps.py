"""Runs due runbook steps (and notices steps whose engine died while running them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fireline.services.container import Container
from fireline.services.runbooks.runner import ActionRunner
from fireline.services.runbooks.steps import run_due_steps

GRACE = timedelta(seconds=30)


class RunbookSteps:
    """The runbook automation worker."""

    name = "runbook_steps"

    def __init__(self, runner: ActionRunner, *, grace: timedelta = GRACE) -> None:
        self._runner = runner
        self._grace = grace

    def run_once(self, container: Container, *, now: datetime) -> int:
        """Run every due step once; return how many steps moved."""
        config = container.live_config.current()
        if config is None or config.runbooks is None:
            return 0
        return run_due_steps(
            container.uow, config=config, runner=self._runner, now=now, grace=self._grace
        )
