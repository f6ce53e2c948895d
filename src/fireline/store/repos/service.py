"""Reads and writes of services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fireline.domain.errors import NotFound
from fireline.domain.service import Service
from fireline.store.tables import ServiceRow

# Built once: intake looks a service's id up for every incident it opens.
_SERVICES = ServiceRow.metadata.tables[ServiceRow.__tablename__]
_ID_BY_NAME = select(_SERVICES.c.id).where(_SERVICES.c.name == bindparam("name"))


def to_service(row: ServiceRow) -> Service:
    """Convert a row to the domain type."""
    return Service(row.name, row.team, row.tier, tuple(row.regions), row.description)


class ServiceRepo:
    """Services in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session
        # Ids `ensure` found in this transaction (a service is never renamed or removed).
        self._ids: dict[str, int] = {}

    def find_row(self, name: str) -> ServiceRow | None:
        """Return the row of service `name`, if any."""
        return self._session.scalar(select(ServiceRow).where(ServiceRow.name == name))

    def get_id(self, name: str) -> int:
        """Return the id of service `name` or raise NotFound."""
        row = self.find_row(name)
        if row is None:
            raise NotFound(f"no service named {name!r}")
        return row.id

    def get(self, name: str) -> Service:
        """Return service `name` or raise NotFound."""
        row = self.find_row(name)
        if row is None:
            raise NotFound(f"no service named {name!r}")
        return to_service(row)

    def list_(self) -> list[Service]:
        """Return every service, by name."""
        rows = self._session.scalars(select(ServiceRow).order_by(ServiceRow.name))
        return [to_service(r) for r in rows]

    def ensure(self, name: str, *, now: datetime) -> int:
        """Return the id of service `name`, creating a placeholder if it is missing (race-safe)."""
        if name in self._ids:
            return self._ids[name]
        found = self._session.connection().execute(_ID_BY_NAME, {"name": name}).scalar()
        if found is not None:
            self._ids[name] = int(found)
            return self._ids[name]
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self._session.execute(
            insert(ServiceRow)
            .values(
                name=name,
                team="unknown",
                tier=4,
                regions=[],
                description="",
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[ServiceRow.name])
        )
        self._ids[name] = self.get_id(name)
        return self._ids[name]

    def put(self, service: Service, *, now: datetime) -> bool:
        """Create or replace `service`; return True when it was created."""
        row = self.find_row(service.name)
        created = row is None
        if row is None:
            row = ServiceRow(name=service.name, created_at=now)
            self._session.add(row)
        row.team = service.team
        row.tier = service.tier
        row.regions = list(service.regions)
        row.description = service.description
        row.updated_at = now
        self._session.flush()
        return created
