"""The engine loop: runs every module each tick; `tick()` is what tests call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from fireline.domain.errors import FirelineError
from fireline.domain.notify.destination import ChannelKind
from fireline.domain.notify.ports import Notifier
from fireline.engine.module import EngineModule
from fireline.engine.modules.escalations import Escalations
from fireline.engine.modules.heartbeats import Heartbeats
from fireline.engine.modules.outbox import LEASE, Outbox
from fireline.engine.modules.runbook_steps import GRACE, RunbookSteps
from fireline.services.container import Container
from fireline.services.runbooks.runner import ActionRunner

log = logging.getLogger("fireline.engine")


def default_modules(
    notifiers: Mapping[ChannelKind, Notifier],
    *,
    runner: ActionRunner,
    lease: timedelta = LEASE,
    step_grace: timedelta = GRACE,
) -> list[EngineModule]:
    """Return the modules a running engine has, in the order each tick runs them.

    Escalations run before the outbox, so a step paged in a tick is delivered in that tick.
    """
    return [
        Heartbeats(),
        Escalations(),
        RunbookSteps(runner, grace=step_grace),
        Outbox(notifiers, lease=lease),
    ]


class Engine:
    """Runs its modules once per tick, each failure logged and contained."""

    def __init__(
        self,
        container: Container,
        modules: Sequence[EngineModule],
        *,
        closers: Sequence[Callable[[], object]] = (),
    ) -> None:
        self._container = container
        self._modules = list(modules)
        self._closers = list(closers)

    def tick(self) -> dict[str, int]:
        """Run every module once at the clock's now; return what each did."""
        now = self._container.clock.now()
        done: dict[str, int] = {}
        for module in self._modules:
            try:
                done[module.name] = module.run_once(self._container, now=now)
            except FirelineError as error:
                log.warning("engine module %s: %s", module.name, error.detail)
                done[module.name] = 0
            except Exception:
                log.exception("engine module %s failed; it runs again next tick", module.name)
                done[module.name] = 0
        return done

    def run(self, stop: threading.Event, *, interval_s: float) -> None:
        """Tick until `stop` is set: at once when a commit queued work, else every `interval_s`.

        A tick that did something is followed by another straight away (there may be more);
        polling is only the safety net for work queued by other processes and for timers.
        """
        log.info("engine running: %s", ", ".join(m.name for m in self._modules))
        woken = self._container.uow.work_ready
        while not stop.is_set():
            woken.clear()
            if any(self.tick().values()):
                continue
            woken.wait(interval_s)

    def wake(self) -> None:
        """Make a waiting `run` tick now (and notice that it was asked to stop)."""
        self._container.uow.work_ready.set()

    def close(self) -> None:
        """Release what the modules hold (thread pools, clients)."""
        for module in self._modules:
            close = getattr(module, "close", None)
            if close is not None:
                close()
        for closer in self._closers:
            closer()
