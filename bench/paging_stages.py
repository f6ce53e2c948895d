"""Where a Fireline page's time goes, from the instants Fireline stores (bench/paging.py)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime

import psycopg

import database
from harness import pg_conninfo
from paging_figures import spread_ms
from paging_open_loop import Shot
from paging_receiver import Arrival

STAGES_SQL = (
    "SELECT i.id, i.created_at, n.created_at, n.sent_at FROM incidents i "
    "JOIN notifications n ON n.incident_id = i.id "
    "WHERE n.kind = 'trigger' AND i.id >= ? AND i.id <= ?"
)


Stored = tuple[int, datetime | None, datetime | None, datetime | None]


def stored_times(url: str, first: int, last: int) -> list[Stored]:
    """Read (incident id, opened, page queued, page marked sent) of incidents first..last."""
    if database.is_sqlite(url):
        uri = f"file:{database.sqlite_path(url)}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            rows = connection.execute(STAGES_SQL, (first, last)).fetchall()
        return [(row[0], *(as_instant(value) for value in row[1:])) for row in rows]
    options = "-c default_transaction_read_only=on"
    with psycopg.connect(pg_conninfo(url), options=options) as connection:
        rows = connection.execute(STAGES_SQL.replace("?", "%s"), (first, last)).fetchall()
    return [(row[0], *(as_instant(value) for value in row[1:])) for row in rows]


def as_instant(value: object) -> datetime | None:
    """Read a stored instant: aware from PostgreSQL, naive-UTC text from SQLite."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def stages(
    url: str, shots: dict[str, Shot], arrivals: dict[str, Arrival], offset: float
) -> dict[str, list[float]]:
    """Split each page's latency at the instants Fireline recorded.

    `offset` turns a stored wall-clock instant into the benchmark's perf_counter scale.
    """
    ids = {int(key.removeprefix("INC-")): key for key in shots if key in arrivals}
    if not ids:
        return {}
    parts: dict[str, list[float]] = {
        "POST → alert read": [],
        "read → engine took it": [],
        "engine took it → page at the fake": [],
        "page at the fake → marked sent": [],
    }
    for incident_id, opened, queued, sent in stored_times(url, min(ids), max(ids)):
        key = ids.get(incident_id)
        if key is None or opened is None or queued is None:
            continue
        opened_at, queued_at = opened.timestamp() - offset, queued.timestamp() - offset
        arrived = arrivals[key].arrived
        parts["POST → alert read"].append(opened_at - shots[key].started)
        parts["read → engine took it"].append(queued_at - opened_at)
        parts["engine took it → page at the fake"].append(arrived - queued_at)
        if sent is not None:
            parts["page at the fake → marked sent"].append(sent.timestamp() - offset - arrived)
    return {name: spread_ms(values) for name, values in parts.items() if values}


def clock_offset() -> float:
    """Return wall-clock time minus perf_counter (the smallest gap of a few readings)."""
    readings = []
    for _ in range(5):
        before = time.perf_counter()
        wall = time.time()
        after = time.perf_counter()
        readings.append((after - before, wall - (before + after) / 2))
    return min(readings)[1]
