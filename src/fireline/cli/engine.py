"""`fireline engine`: run the background engine on its own (heartbeats, later paging)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from fireline.app import build_engine
from fireline.cli.context import admin_container
from fireline.cli.output import console
from fireline.config import Settings


def engine() -> None:
    """Run the engine until interrupted (use `fireline serve --no-engine` beside it)."""
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # admin_container refuses, with advice, an unreachable or unmigrated database.
    with admin_container() as container:
        console.print(f"engine running every {settings.engine_interval_s:g} s; Ctrl-C stops it")
        build_engine(container).run(stop, interval_s=settings.engine_interval_s)
