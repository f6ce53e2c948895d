"""The engine loop: runs every module each tick; `tick()` is what tests call."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from fireline.domain.errors import FirelineError
from fireline.engine.module import EngineModule
from fireline.engine.modules.heartbeats import Heartbeats
from fireline.services.container import Container

log = logging.getLogger("fireline.engine")


def default_modules() -> list[EngineModule]:
    """Return the modules a running engine has."""
    return [Heartbeats()]


class Engine:
    """Runs its modules once per tick, each failure logged and contained."""

    def __init__(self, container: Container, modules: Sequence[EngineModule]) -> None:
        self._container = container
        self._modules = list(modules)

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
        """Tick every `interval_s` seconds until `stop` is set."""
        log.info("engine running: %s", ", ".join(m.name for m in self._modules))
        while not stop.is_set():
            self.tick()
            stop.wait(interval_s)
