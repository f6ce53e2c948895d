"""Direct database access for bench/intake.py: bulk prefill before a server starts, and checks.

The prefill writes history the way a long-running Fireline would have it: `incidents` holds
1,000 incidents of the `bench` service (95 % resolved, 5 % still open) and `alerts` holds the
requested number of alerts spread evenly over them, resolved on resolved incidents and firing
on open ones, each with a unique dedup key, labels, annotations and details like those of a
real Alertmanager alert. SQLite gets one `executemany` in one transaction (with the journal
off WAL meanwhile, so the rows are not written twice); PostgreSQL gets `COPY`, then
`VACUUM ANALYZE` as autovacuum would soon do. Checks open the database read-only.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
from sqlalchemy.engine import make_url

from harness import BenchError, pg_conninfo
from workload import GENERATOR_URL, REGIONS, annotations_of, labels_of

HISTORY_INCIDENTS = 1000
OPEN_EVERY = 20  # one history incident in 20 is still open; its alerts are firing
GENESIS_HASH = "0" * 64
ALERT_COLUMNS = (
    "integration, dedup_key, status, fingerprint, source, summary, severity, labels, "
    "annotations, details, generator_url, starts_at, ends_at, first_seen_at, last_seen_at, "
    "resolved_at, occurrences, service, group_key, incident_id"
)
INCIDENT_COLUMNS = (
    "title, severity, status, service_id, regions, roles, created_by, created_at, updated_at, "
    "acknowledged_at, mitigated_at, resolved_at, reopened_at, version, timeline_seq, "
    "timeline_head, group_key, runbook_url"
)
ROLES = '{"commander": null, "communications_lead": null, "scribe": null, "responders": []}'
COPY_ROWS = 20_000
EPOCH = datetime(2026, 6, 1, tzinfo=UTC)


def is_sqlite(url: str) -> bool:
    """Tell whether a SQLAlchemy URL names SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    """Return the file of a `sqlite:///path` URL."""
    return Path(make_url(url).database or "")


def sql_time(instant: datetime | None, *, zone: bool) -> str | None:
    """Format an instant as Fireline stores it: naive UTC on SQLite, with a zone on PostgreSQL."""
    if instant is None:
        return None
    text = instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return f"{text}+00" if zone else text


# --- what the history looks like ------------------------------------------------------------


def history_incident(number: int, service_id: int, *, zone: bool) -> tuple[object, ...]:
    """Return the columns of history incident `number` (0-based)."""
    opened = EPOCH + timedelta(hours=2 * number)
    is_open = number % OPEN_EVERY == 0
    resolved = None if is_open else opened + timedelta(minutes=47)
    name = f"PrefillAlert{number:04d}"
    region = REGIONS[number % len(REGIONS)]
    return (
        f"{name} firing in {region}",
        "SEV2" if number % 3 == 0 else "SEV3",
        "triggered" if is_open else "resolved",
        service_id,
        f'["{region}"]',
        ROLES,
        "alertmanager:prometheus",
        sql_time(opened, zone=zone),
        sql_time(resolved or opened, zone=zone),
        None,
        None,
        sql_time(resolved, zone=zone),
        None,
        1 if is_open else 4,
        0,
        GENESIS_HASH,
        f"bench/{name}/{region}",
        f"https://runbooks.bench.internal/{name.lower()}",
    )


def alert_rows(count: int, incident_ids: list[int], *, zone: bool) -> Iterator[tuple[object, ...]]:
    """Yield the columns of `count` history alerts spread over `incident_ids`."""
    per_incident = [_alert_template(n, zone=zone) for n in range(len(incident_ids))]
    for index in range(count):
        number = index % len(incident_ids)
        status, labels_json, annotations_json, details_json, times, group_key = per_incident[number]
        instance = f"prefill-{index:07d}"
        key = f"{index:016x}"
        yield (
            "prometheus",
            key,
            status,
            key,
            "alertmanager",
            f"{group_key} on {instance}",
            "warning",
            labels_json.replace("INSTANCE", instance),
            annotations_json.replace("INSTANCE", instance),
            details_json.replace("FINGERPRINT", key),
            GENERATOR_URL,
            *times,
            1 + index % 7,
            "bench",
            group_key,
            incident_ids[number],
        )


def _alert_template(
    number: int, *, zone: bool
) -> tuple[str, str, str, str, tuple[object, ...], str]:
    """The parts every alert of history incident `number` shares; INSTANCE is a placeholder."""
    is_open = number % OPEN_EVERY == 0
    name = f"PrefillAlert{number:04d}"
    region = REGIONS[number % len(REGIONS)]
    labels = labels_of(alertname=name, region=region, instance="INSTANCE", severity="warning")
    details = {
        "group_key": f'{{}}:{{alertname="{name}"}}',
        "receiver": "fireline",
        "external_url": "http://alertmanager.bench.internal:9093",
        "truncated_alerts": 0,
        "fingerprint": "FINGERPRINT",
    }
    started = EPOCH + timedelta(hours=2 * number)
    ended = None if is_open else started + timedelta(minutes=45)
    times = (
        sql_time(started, zone=zone),
        sql_time(ended, zone=zone),
        sql_time(started, zone=zone),
        sql_time(ended or started + timedelta(minutes=30), zone=zone),
        sql_time(ended, zone=zone),
    )
    return (
        "firing" if is_open else "resolved",
        orjson.dumps(labels).decode(),
        orjson.dumps(annotations_of(labels)).decode(),
        orjson.dumps(details).decode(),
        times,
        f"bench/{name}/{region}",
    )


# --- SQLite ---------------------------------------------------------------------------------


def prefill_sqlite(url: str, count: int) -> None:
    """Insert the history into a migrated SQLite database no server has open."""
    connection = sqlite3.connect(sqlite_path(url), isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        service_id = _service_id(connection.execute("SELECT id FROM services WHERE name='bench'"))
        connection.executemany(
            f"INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES ({_marks(INCIDENT_COLUMNS)})",
            (history_incident(n, service_id, zone=False) for n in range(HISTORY_INCIDENTS)),
        )
        ids = [row[0] for row in connection.execute("SELECT id FROM incidents ORDER BY id")]
        connection.executemany(
            f"INSERT INTO alerts ({ALERT_COLUMNS}) VALUES ({_marks(ALERT_COLUMNS)})",
            alert_rows(count, ids, zone=False),
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()


def _marks(columns: str) -> str:
    return ", ".join("?" for _ in columns.split(","))


def _service_id(cursor: sqlite3.Cursor | psycopg.Cursor[tuple[object, ...]]) -> int:
    row = cursor.fetchone()
    if row is None:
        raise BenchError("the database has no `bench` service: was the config applied?")
    return int(str(row[0]))


# --- PostgreSQL -----------------------------------------------------------------------------


def prefill_postgres(url: str, count: int) -> None:
    """COPY the history into a migrated PostgreSQL database, then VACUUM ANALYZE it."""
    with psycopg.connect(pg_conninfo(url)) as connection:
        service_id = _service_id(connection.execute("SELECT id FROM services WHERE name = 'bench'"))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO incidents ({INCIDENT_COLUMNS}) "
                f"VALUES ({', '.join('%s' for _ in INCIDENT_COLUMNS.split(','))})",
                [history_incident(n, service_id, zone=True) for n in range(HISTORY_INCIDENTS)],
            )
        ids = [row[0] for row in connection.execute("SELECT id FROM incidents ORDER BY id")]
        with connection.cursor().copy(f"COPY alerts ({ALERT_COLUMNS}) FROM STDIN") as copy:
            block: list[str] = []
            for row in alert_rows(count, ids, zone=True):
                block.append(_copy_line(row))
                if len(block) == COPY_ROWS:
                    copy.write("".join(block))
                    block.clear()
            copy.write("".join(block))
    with psycopg.connect(pg_conninfo(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE alerts")
        connection.execute("ANALYZE incidents")


def _copy_line(row: tuple[object, ...]) -> str:
    """Render a row in COPY's text format (our values hold no tabs or newlines)."""
    return "\t".join(r"\N" if v is None else str(v).replace("\\", "\\\\") for v in row) + "\n"


def prefill(url: str, count: int) -> float:
    """Fill the database at `url` with `count` history alerts; return the seconds it took."""
    started = time.perf_counter()
    if is_sqlite(url):
        prefill_sqlite(url, count)
    else:
        prefill_postgres(url, count)
    return time.perf_counter() - started


# --- checks ---------------------------------------------------------------------------------


def read_one(url: str, statement: str, params: tuple[object, ...] = ()) -> tuple[int, ...]:
    """Run a query read-only and return its first row as integers; `?` marks parameters."""
    if is_sqlite(url):
        uri = f"file:{sqlite_path(url)}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            row = connection.execute(statement, params).fetchone()
    else:
        options = "-c default_transaction_read_only=on"
        with psycopg.connect(pg_conninfo(url), options=options) as connection:
            row = connection.execute(statement.replace("?", "%s"), params).fetchone()
    if row is None:
        raise BenchError(f"no answer to {statement}")
    return tuple(int(value) for value in row)


def open_alerts(url: str, integration: str) -> tuple[int, int]:
    """Return (firing alerts, their occurrences) of `integration`."""
    found = read_one(
        url,
        "SELECT count(*), coalesce(sum(occurrences), 0) FROM alerts "
        "WHERE status = 'firing' AND integration = ?",
        (integration,),
    )
    return found[0], found[1]


def count_rows(url: str, table: str) -> int:
    """Return how many rows `table` holds."""
    return read_one(url, f"SELECT count(*) FROM {table}")[0]  # table names are ours
