"""Reads and writes of incidents, their regions and the tip of their timeline."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, exists, func, select, update
from sqlalchemy.orm import Session

from fireline.domain.errors import NotFound, StaleVersion
from fireline.domain.incidents.incident import Incident, IncidentDraft
from fireline.domain.incidents.query import IncidentFilter
from fireline.domain.incidents.ref import format_ref
from fireline.domain.incidents.roles import Roles
from fireline.domain.incidents.severity import Severity
from fireline.domain.incidents.status import Status
from fireline.domain.incidents.timeline import GENESIS_HASH, ChainHead
from fireline.store.bulk_insert import insert_all
from fireline.store.tables import IncidentJobRow, IncidentRegionRow, IncidentRow, ServiceRow
from fireline.store.tables.incident import OPEN_GROUP

_MUTABLE = (
    "title",
    "severity",
    "status",
    "regions",
    "roles",
    "updated_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "reopened_at",
)


# Statements of the hot paths, built once (building them per call cost more than running them).
_INCIDENTS = IncidentRow.metadata.tables[IncidentRow.__tablename__]
_SERVICES = ServiceRow.metadata.tables[ServiceRow.__tablename__]
# Core, not ORM entities: loading through the ORM cost twice as much as the query itself.
_WITH_SERVICE = select(_INCIDENTS, _SERVICES.c.name.label("service_name")).join(
    _SERVICES, _SERVICES.c.id == _INCIDENTS.c.service_id
)
_GET = _WITH_SERVICE.where(_INCIDENTS.c.id == bindparam("iid"))
_GET_LOCKED = _GET.with_for_update(of=_INCIDENTS)
# Locked in group-key order, so that transactions locking several queue instead of deadlocking.
_OPEN_BY_GROUPS = (
    _WITH_SERVICE.where(
        _INCIDENTS.c.group_key.in_(bindparam("group_keys", expanding=True)),
        _INCIDENTS.c.status != Status.RESOLVED.value,
    )
    .order_by(_INCIDENTS.c.group_key)
    .with_for_update(of=_INCIDENTS)
)
# Keys looked up per statement: well inside every database's parameter limit.
KEYS_PER_LOOKUP = 500


# The insert that does nothing when the group key already has an open incident, after its rows
# (store/bulk_insert.py): one statement for many incidents, where a savepoint around a plain
# insert took three for each. On PostgreSQL a row waits for a concurrent transaction opening
# the same group, then is left out.
_GROUPED_SUFFIX = (
    f"ON CONFLICT (group_key) WHERE {OPEN_GROUP.text} DO NOTHING RETURNING group_key, id"
)
_REGIONS = IncidentRegionRow.metadata.tables[IncidentRegionRow.__tablename__]
_LOCK_HEADS = (
    select(_INCIDENTS.c.id, _INCIDENTS.c.timeline_seq, _INCIDENTS.c.timeline_head)
    .where(_INCIDENTS.c.id.in_(bindparam("iids", expanding=True)))
    .order_by(_INCIDENTS.c.id)
    .with_for_update()
)
_SET_HEAD = (
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id == bindparam("iid"))
    .values(timeline_seq=bindparam("head_seq"), timeline_head=bindparam("head_hash"))
)


def _to_incident(row: Row[Any]) -> Incident:
    return Incident(
        id=row.id,
        title=row.title,
        severity=Severity(row.severity),
        status=Status(row.status),
        service=row.service_name,
        regions=tuple(row.regions),
        roles=Roles.from_dict(row.roles),
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
        version=row.version,
        acknowledged_at=row.acknowledged_at,
        mitigated_at=row.mitigated_at,
        resolved_at=row.resolved_at,
        reopened_at=row.reopened_at,
        group_key=row.group_key,
        runbook_url=row.runbook_url,
    )


def _column_values(incident: Incident) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(incident, name) for name in _MUTABLE}
    values["severity"] = incident.severity.value
    values["status"] = incident.status.value
    values["regions"] = list(incident.regions)
    values["roles"] = incident.roles.to_dict()
    return values


def _chunks(ordered: list[Any]) -> Iterator[list[Any]]:
    """Split keys into lists short enough for one `IN (...)` each, keeping their order."""
    for start in range(0, len(ordered), KEYS_PER_LOOKUP):
        yield ordered[start : start + KEYS_PER_LOOKUP]


@dataclass(frozen=True, slots=True)
class Opening:
    """An incident to insert: what it says, its service, and who opens it when."""

    draft: IncidentDraft
    service_id: int
    created_by: str
    now: datetime
    group_key: str | None = None
    runbook_url: str | None = None


def _values(opening: Opening) -> dict[str, Any]:
    draft, now = opening.draft, opening.now
    return {
        "title": draft.title,
        "severity": draft.severity.value,
        "status": Status.TRIGGERED.value,
        "service_id": opening.service_id,
        "regions": list(draft.regions),
        "roles": Roles().to_dict(),
        "created_by": opening.created_by,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "timeline_seq": 0,
        "timeline_head": GENESIS_HASH,
        "group_key": opening.group_key,
        "runbook_url": opening.runbook_url,
    }


def _new_incident(incident_id: int, opening: Opening) -> Incident:
    draft, now = opening.draft, opening.now
    return Incident(
        id=incident_id,
        title=draft.title,
        severity=draft.severity,
        status=Status.TRIGGERED,
        service=draft.service,
        regions=tuple(draft.regions),
        roles=Roles(),
        created_at=now,
        updated_at=now,
        created_by=opening.created_by,
        version=1,
        group_key=opening.group_key,
        runbook_url=opening.runbook_url,
    )


class IncidentRepo:
    """Incidents in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # Chain heads of the rows this transaction loaded or wrote, to save re-reading them.
        self._heads: dict[int, ChainHead] = {}
        # Heads appended to but not yet written: written once, by `write_heads()` before the
        # commit, however many events the transaction appended (a batch of 100 alerts: 100).
        self._unwritten: dict[int, ChainHead] = {}
        # Rows `lock_many` locked: locking one of them again is a no-op.
        self._locked: set[int] = set()

    def add(
        self,
        draft: IncidentDraft,
        *,
        service_id: int,
        created_by: str,
        now: datetime,
        group_key: str | None = None,
        runbook_url: str | None = None,
    ) -> Incident:
        """Insert a new triggered incident and return it with its number."""
        opening = Opening(draft, service_id, created_by, now, group_key, runbook_url)
        connection = self._session.connection()
        [(incident_id,)] = insert_all(
            connection, table=_INCIDENTS, rows=[_values(opening)], suffix="RETURNING id"
        )
        return self._opened([(incident_id, opening)])[0]

    def add_grouped(
        self,
        draft: IncidentDraft,
        *,
        service_id: int,
        created_by: str,
        now: datetime,
        group_key: str,
        runbook_url: str | None,
    ) -> Incident | None:
        """Open an incident for `group_key`, or return None if another one is already open."""
        opening = Opening(draft, service_id, created_by, now, group_key, runbook_url)
        return self.add_grouped_many([opening]).get(group_key)

    def add_grouped_many(self, openings: Sequence[Opening]) -> dict[str, Incident]:
        """Open an incident for each opening's group key, in one statement, in the order given.

        Returns the incidents opened, by group key; a group key missing from the answer
        already has an open incident (on PostgreSQL, one a concurrent transaction opened).
        """
        if not openings:
            return {}
        connection = self._session.connection()
        rows = insert_all(
            connection,
            table=_INCIDENTS,
            rows=[_values(o) for o in openings],
            suffix=_GROUPED_SUFFIX,
        )
        ids = {row[0]: row[1] for row in rows}
        pairs = [(ids[o.group_key], o) for o in openings if o.group_key in ids]
        return {incident.group_key or "": incident for incident in self._opened(pairs)}

    def _opened(self, pairs: Sequence[tuple[int, Opening]]) -> list[Incident]:
        """Record what was inserted (chain heads, regions) and return it as incidents."""
        regions = []
        for incident_id, opening in pairs:
            self._heads[incident_id] = ChainHead()
            regions += [{"incident_id": incident_id, "region": r} for r in opening.draft.regions]
        if regions:
            insert_all(self._session.connection(), table=_REGIONS, rows=regions)
        return [_new_incident(incident_id, opening) for incident_id, opening in pairs]

    def get(self, incident_id: int) -> Incident:
        """Return the incident or raise NotFound."""
        return self._get(incident_id, lock=False)

    def get_for_update(self, incident_id: int) -> Incident:
        """Return the incident, locking its row until the transaction ends."""
        return self._get(incident_id, lock=True)

    def lock_many(self, incident_ids: Sequence[int]) -> None:
        """Lock these incidents' rows (in id order) until the transaction ends, in one query."""
        for chunk in _chunks(sorted(set(incident_ids) - self._locked)):
            for row in self._session.connection().execute(_LOCK_HEADS, {"iids": chunk}):
                self._loaded_head(row[0], ChainHead(row[1], row[2]))
                self._locked.add(row[0])

    def lock(self, incident_id: int) -> None:
        """Lock the incident's row until the transaction ends, to append to its timeline."""
        self.lock_many([incident_id])
        if incident_id not in self._locked:
            raise NotFound(f"no incident {format_ref(incident_id)}")

    def _get(self, incident_id: int, *, lock: bool) -> Incident:
        stmt = _GET_LOCKED if lock else _GET
        row = self._session.connection().execute(stmt, {"iid": incident_id}).first()
        if row is None:
            raise NotFound(f"no incident {format_ref(incident_id)}")
        self._loaded_head(row.id, ChainHead(row.timeline_seq, row.timeline_head))
        return _to_incident(row)

    def find_open_by_group_keys_for_update(self, group_keys: Sequence[str]) -> dict[str, Incident]:
        """Return the unresolved incidents of these group keys (those that have one), locked."""
        connection = self._session.connection()
        found: dict[str, Incident] = {}
        for chunk in _chunks(sorted(set(group_keys))):
            for row in connection.execute(_OPEN_BY_GROUPS, {"group_keys": chunk}):
                self._loaded_head(row.id, ChainHead(row.timeline_seq, row.timeline_head))
                found[row.group_key] = _to_incident(row)
        return found

    def update(
        self,
        incident: Incident,
        *,
        expected_version: int,
        head: ChainHead,
        regions_changed: bool = False,
    ) -> None:
        """Write `incident` and its new chain head if its version is still `expected_version`."""
        result = self._session.execute(
            update(IncidentRow)
            .where(IncidentRow.id == incident.id, IncidentRow.version == expected_version)
            .values(
                version=incident.version,
                timeline_seq=head.seq,
                timeline_head=head.hash,
                **_column_values(incident),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            current = self.get(incident.id)
            raise StaleVersion(
                f"{incident.ref} changed meanwhile (now version {current.version})",
                current_version=current.version,
            )
        self._heads[incident.id] = head
        self._unwritten.pop(incident.id, None)
        if regions_changed:
            self._write_regions(incident.id, incident.regions)

    def head(self, incident_id: int) -> ChainHead:
        """Return the tip of the incident's timeline chain."""
        if incident_id in self._heads:
            return self._heads[incident_id]
        found = self._session.execute(
            select(IncidentRow.timeline_seq, IncidentRow.timeline_head).where(
                IncidentRow.id == incident_id
            )
        ).first()
        if found is None:
            raise NotFound(f"no incident {format_ref(incident_id)}")
        return ChainHead(found[0], found[1])

    def set_head(self, incident_id: int, head: ChainHead) -> None:
        """Record a new tip of the incident's timeline chain (written by `write_heads()`)."""
        self._heads[incident_id] = head
        self._unwritten[incident_id] = head

    def write_heads(self) -> None:
        """Write the chain heads `set_head` recorded; the unit of work calls it before commit."""
        if not self._unwritten:
            return
        self._session.connection().execute(
            _SET_HEAD,
            [
                {"iid": incident_id, "head_seq": head.seq, "head_hash": head.hash}
                for incident_id, head in self._unwritten.items()
            ],
        )
        self._unwritten.clear()

    def _loaded_head(self, incident_id: int, head: ChainHead) -> None:
        # A head this transaction appended to is newer than the row it has not yet written.
        if incident_id not in self._unwritten:
            self._heads[incident_id] = head

    def set_runbook_url(self, incident_id: int, url: str) -> None:
        """Point the incident's runbook link at a runbook version (the caller holds the lock)."""
        self._session.execute(
            update(IncidentRow).where(IncidentRow.id == incident_id).values(runbook_url=url)
        )

    def heads(self, incident_id: int | None = None) -> dict[int, ChainHead]:
        """Return the chain tips of one incident or of all of them."""
        stmt = select(IncidentRow.id, IncidentRow.timeline_seq, IncidentRow.timeline_head)
        if incident_id is not None:
            stmt = stmt.where(IncidentRow.id == incident_id)
        stored = {r[0]: ChainHead(r[1], r[2]) for r in self._session.execute(stmt)}
        return {i: self._unwritten.get(i, head) for i, head in stored.items()}

    def list_(self, query: IncidentFilter, *, before_id: int | None, limit: int) -> list[Incident]:
        """Return up to `limit` matching incidents, newest first, older than `before_id`."""
        stmt = self._filtered(query)
        if before_id is not None:
            stmt = stmt.where(IncidentRow.id < before_id)
        stmt = stmt.order_by(IncidentRow.id.desc()).limit(limit)
        return [_to_incident(row) for row in self._session.connection().execute(stmt)]

    def _filtered(self, query: IncidentFilter) -> Select[Any]:
        stmt = _WITH_SERVICE
        if query.statuses:
            stmt = stmt.where(IncidentRow.status.in_([s.value for s in query.statuses]))
        if query.severities:
            stmt = stmt.where(IncidentRow.severity.in_([s.value for s in query.severities]))
        if query.service is not None:
            stmt = stmt.where(ServiceRow.name == query.service)
        if query.region is not None:
            stmt = stmt.where(
                exists().where(
                    IncidentRegionRow.incident_id == IncidentRow.id,
                    IncidentRegionRow.region == query.region,
                )
            )
        if query.job_id is not None:
            stmt = stmt.where(
                exists().where(
                    IncidentJobRow.incident_id == IncidentRow.id,
                    IncidentJobRow.job_id == query.job_id,
                )
            )
        if query.created_since is not None:
            stmt = stmt.where(IncidentRow.created_at >= query.created_since)
        if query.created_until is not None:
            stmt = stmt.where(IncidentRow.created_at < query.created_until)
        return stmt

    def count_by_status(self) -> dict[str, int]:
        """Return how many incidents stand in each status."""
        rows = self._session.execute(
            select(IncidentRow.status, func.count()).group_by(IncidentRow.status)
        )
        return {str(row[0]): int(row[1]) for row in rows}

    def _write_regions(self, incident_id: int, regions: tuple[str, ...]) -> None:
        self._session.execute(
            delete(IncidentRegionRow).where(IncidentRegionRow.incident_id == incident_id)
        )
        rows = [{"incident_id": incident_id, "region": r} for r in regions]
        insert_all(self._session.connection(), table=_REGIONS, rows=rows)
