"""Alerts: deduplicating upserts (one statement for many alerts) and resolutions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from fireline.domain.alerts.alert import AlertIn, label_fingerprint
from fireline.store.bulk_insert import insert_all
from fireline.store.tables import AlertRow
from fireline.store.tables.alert import FIRING

RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """What an upsert or resolution did to one stored alert."""

    id: int
    occurrences: int
    incident_id: int | None

    @property
    def new(self) -> bool:
        """Tell whether this was the alert's first occurrence."""
        return self.occurrences == 1


@dataclass(frozen=True, slots=True)
class Firing:
    """One firing alert to store, with its dedup key and where routing put it."""

    alert: AlertIn
    integration: str
    dedup_key: str
    service: str
    group_key: str
    now: datetime


@dataclass(frozen=True, slots=True)
class AlertView:
    """A stored alert, as responders see it."""

    id: int
    integration: str
    dedup_key: str
    status: str
    source: str
    summary: str
    severity: str | None
    labels: dict[str, Any]
    annotations: dict[str, Any]
    generator_url: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    occurrences: int


_UPDATED_ON_REPEAT = (
    "status",
    "fingerprint",
    "source",
    "summary",
    "severity",
    "labels",
    "annotations",
    "details",
    "generator_url",
    "ends_at",
    "last_seen_at",
)


# The dedup upsert, after its rows (store/bulk_insert.py). The partial index's condition is a
# literal, not a parameter: PostgreSQL must match it even in a prepared (generic) plan.
_ON_REPEAT = (
    "ON CONFLICT (integration, dedup_key) WHERE status = 'firing' DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _UPDATED_ON_REPEAT)
    + ", occurrences = alerts.occurrences + 1 "
    "RETURNING integration, dedup_key, id, occurrences, incident_id"
)


def _values(firing: Firing) -> dict[str, Any]:
    alert = firing.alert
    return {
        "integration": firing.integration,
        "dedup_key": firing.dedup_key,
        "status": FIRING,
        "fingerprint": label_fingerprint(alert.labels),
        "source": alert.source,
        "summary": alert.summary,
        "severity": alert.severity,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "details": alert.details,
        "generator_url": alert.generator_url,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "first_seen_at": firing.now,
        "last_seen_at": firing.now,
        "occurrences": 1,
        "service": firing.service,
        "group_key": firing.group_key,
    }


def _rounds(firing: Sequence[Firing]) -> list[list[int]]:
    """Split alerts into rounds in which no key appears twice, keeping each key's order.

    One upsert statement may not touch a row twice (PostgreSQL refuses it), so the second
    occurrence of a key in a dedup storm goes in the second round, and so on.
    """
    rounds: list[list[int]] = []
    seen: dict[tuple[str, str], int] = {}
    for index, one in enumerate(firing):
        key = (one.integration, one.dedup_key)
        round_ = seen.get(key, 0)
        seen[key] = round_ + 1
        if round_ == len(rounds):
            rounds.append([])
        rounds[round_].append(index)
    return rounds


_ALERTS = AlertRow.metadata.tables[AlertRow.__tablename__]
# PostgreSQL's form of _ATTACH: one statement of two arrays (as store/bulk_insert.py's).
_ATTACH_ARRAYS = (
    f"UPDATE {_ALERTS.name} SET incident_id = u.incident "
    "FROM unnest(CAST(%(alert)b AS bigint[]), CAST(%(incident)b AS bigint[])) "
    "AS u(alert, incident) "
    f"WHERE {_ALERTS.name}.id = u.alert"
)
# SQLite's: one executemany of plain tuples (SQLAlchemy's per-row processing of a Core
# UPDATE cost more than SQLite's work for a batch's attachments).
_ATTACH_ROWS = f"UPDATE {_ALERTS.name} SET incident_id = ? WHERE id = ?"


class AlertRepo:
    """Alerts in one transaction.

    Which incident a new alert belongs to is written together for the whole transaction, in
    one statement, before it commits (or before anything here reads alerts back).
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._unattached: dict[int, int] = {}  # alert id -> incident id, not yet written

    def upsert_firing(self, firing: Sequence[Firing]) -> list[StoredAlert]:
        """Insert firing alerts, or update and count the open ones with the same keys.

        Returns what happened to each alert, in the order given. All of them take one
        statement (a few when a key repeats), not one each.
        """
        connection = self._session.connection()
        stored: list[StoredAlert | None] = [None] * len(firing)
        for indexes in _rounds(firing):
            values = [_values(firing[i]) for i in indexes]
            rows = insert_all(connection, table=_ALERTS, rows=values, suffix=_ON_REPEAT)
            by_key = {(row[0], row[1]): row for row in rows}
            for index in indexes:
                row = by_key[(firing[index].integration, firing[index].dedup_key)]
                stored[index] = StoredAlert(row[2], row[3], self._unattached.get(row[2], row[4]))
        return [one for one in stored if one is not None]

    def attach(self, alert_id: int, incident_id: int) -> None:
        """Record which incident an alert belongs to (written by `write_pending()`)."""
        self._unattached[alert_id] = incident_id

    def write_pending(self) -> None:
        """Write what `attach` recorded; the unit of work calls it before commit."""
        if self._unattached:
            pairs, self._unattached = self._unattached, {}
            connection = self._session.connection()
            if connection.dialect.name == "postgresql":
                arrays = {"alert": list(pairs), "incident": list(pairs.values())}
                connection.exec_driver_sql(_ATTACH_ARRAYS, arrays)
                return
            rows = [(incident, alert) for alert, incident in pairs.items()]
            connection.exec_driver_sql(_ATTACH_ROWS, rows)

    def resolve(
        self, *, integration: str, dedup_key: str, ends_at: datetime | None, now: datetime
    ) -> StoredAlert | None:
        """Close the open alert with this key; None when no such alert is open."""
        self.write_pending()
        row = self._session.execute(
            update(AlertRow)
            .where(
                AlertRow.integration == integration,
                AlertRow.dedup_key == dedup_key,
                AlertRow.status == FIRING,
            )
            .values(status=RESOLVED, resolved_at=now, last_seen_at=now, ends_at=ends_at or now)
            .returning(AlertRow.id, AlertRow.occurrences, AlertRow.incident_id)
        ).first()
        return None if row is None else StoredAlert(row[0], row[1], row[2])

    def find_open(self, *, integration: str, dedup_key: str) -> StoredAlert | None:
        """Return the open alert with this key, if any."""
        self.write_pending()
        row = self._session.execute(
            select(AlertRow.id, AlertRow.occurrences, AlertRow.incident_id).where(
                AlertRow.integration == integration,
                AlertRow.dedup_key == dedup_key,
                AlertRow.status == FIRING,
            )
        ).first()
        return None if row is None else StoredAlert(row[0], row[1], row[2])

    def list_for_incident(self, incident_id: int, *, limit: int) -> list[AlertView]:
        """Return the incident's alerts, firing first, then newest first."""
        self.write_pending()
        rows = self._session.scalars(
            select(AlertRow)
            .where(AlertRow.incident_id == incident_id)
            .order_by(AlertRow.status, AlertRow.id.desc())
            .limit(limit)
        )
        return [
            AlertView(
                r.id,
                r.integration,
                r.dedup_key,
                r.status,
                r.source,
                r.summary,
                r.severity,
                r.labels,
                r.annotations,
                r.generator_url,
                r.starts_at,
                r.ends_at,
                r.first_seen_at,
                r.last_seen_at,
                r.occurrences,
            )
            for r in rows
        ]

    def count_firing(self, incident_id: int) -> int:
        """Return how many of the incident's alerts are still firing."""
        self.write_pending()
        return int(
            self._session.scalar(
                select(func.count()).where(
                    AlertRow.incident_id == incident_id, AlertRow.status == FIRING
                )
            )
            or 0
        )

    def count(self, *, status: str | None = None) -> int:
        """Return how many alerts are stored (in one status, or all)."""
        self.write_pending()
        statement = select(func.count()).select_from(AlertRow)
        if status is not None:
            statement = statement.where(AlertRow.status == status)
        return int(self._session.scalar(statement) or 0)
