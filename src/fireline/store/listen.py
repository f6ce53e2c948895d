"""Waking engines in other processes: PostgreSQL LISTEN on the channel commits NOTIFY.

(On SQLite, datagrams do the same: see `sqlite_wakeups.py`.)

A transaction that queues engine work sends `NOTIFY fireline_work` (see `db.work_queued`); it is
delivered at commit. Each engine process listens on its own connection and sets its wake-up
event, so a page queued by any `fireline serve` leaves within milliseconds, not at the next
poll. Polling stays as the safety net: a lost connection only slows things down.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from sqlalchemy import Engine

from fireline.store.db import WORK_CHANNEL, sqlite_file
from fireline.store.sqlite_wakeups import SqliteWakeups

log = logging.getLogger("fireline.engine")
POLL_S = 1.0
RECONNECT_S = 5.0


def start_listening(engine: Engine, *, woken: threading.Event, stop: threading.Event) -> None:
    """Start a daemon thread that sets `woken` whenever another process queued engine work."""
    if engine.dialect.name == "sqlite":
        database = sqlite_file(engine)
        if database is not None:
            SqliteWakeups(database).listen(woken, stop)
        return
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    thread = threading.Thread(
        target=_listen, args=(url, woken, stop), name="fireline-listen", daemon=True
    )
    thread.start()


def _listen(url: str, woken: threading.Event, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(f"LISTEN {WORK_CHANNEL}")
                woken.set()  # anything queued while we were not listening
                while not stop.is_set():
                    for _ in connection.notifies(timeout=POLL_S, stop_after=1):
                        woken.set()
        except psycopg.Error as error:
            log.warning("engine wake-ups: %s; polling until reconnected", error)
            stop.wait(RECONNECT_S)
