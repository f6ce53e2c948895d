"""`fireline engine`: run the background engine (heartbeats, paging, runbook steps, timers)."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from types import FrameType

from fireline.app import build_engine
from fireline.cli.context import admin_container
from fireline.cli.engine_process import follow_parent, supervised
from fireline.cli.logs import configure_logging
from fireline.cli.output import console
from fireline.config import Settings
from fireline.store.listen import start_listening


def engine() -> None:
    """Run the engine until interrupted (use `fireline serve --no-engine` beside it)."""
    settings = Settings()
    configure_logging(settings.log_level)
    stop = threading.Event()
    woken: list[threading.Event] = []

    def halt() -> None:
        stop.set()
        for event in woken:
            event.set()  # a waiting engine notices the stop at once

    def _on_signal(_signum: int, _frame: FrameType | None) -> None:
        halt()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    follow_parent(halt)
    # admin_container refuses, with advice, an unreachable or unmigrated database.
    with admin_container() as container:
        if not supervised():
            console.print(f"engine running every {settings.engine_interval_s:g} s; Ctrl-C stops it")
        built = build_engine(
            container,
            outbox_lease=timedelta(seconds=settings.outbox_lease_s),
            step_grace=timedelta(seconds=settings.runbook_step_grace_s),
        )
        woken.append(container.uow.work_ready)
        start_listening(container.uow.engine, woken=container.uow.work_ready, stop=stop)
        try:
            built.run(stop, interval_s=settings.engine_interval_s)
        finally:
            built.close()
