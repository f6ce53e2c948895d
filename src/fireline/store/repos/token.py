"""Reads and writes of API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.domain.access.role import AccessRole
from fireline.domain.access.token import ApiToken
from fireline.domain.errors import NotFound
from fireline.store.tables import ApiTokenRow


def _to_token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        row.id, row.name, AccessRole(row.role), row.created_at, row.created_by, row.revoked_at
    )


class TokenRepo:
    """API tokens in one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self, *, name: str, role: AccessRole, secret_hash: str, created_by: str, now: datetime
    ) -> ApiToken:
        """Store a new token (its secret's hash only)."""
        row = ApiTokenRow(
            name=name,
            role=role.value,
            secret_hash=secret_hash,
            created_at=now,
            created_by=created_by,
        )
        self._session.add(row)
        self._session.flush()
        return _to_token(row)

    def find_by_hash(self, secret_hash: str) -> ApiToken | None:
        """Return the token whose secret hashes to `secret_hash`, if any."""
        row = self._session.scalar(
            select(ApiTokenRow).where(ApiTokenRow.secret_hash == secret_hash)
        )
        return None if row is None else _to_token(row)

    def find_by_name(self, name: str) -> ApiToken | None:
        """Return the token called `name`, if any."""
        row = self._session.scalar(select(ApiTokenRow).where(ApiTokenRow.name == name))
        return None if row is None else _to_token(row)

    def list_(self) -> list[ApiToken]:
        """Return every token, oldest first."""
        return [_to_token(r) for r in self._session.scalars(select(ApiTokenRow).order_by("id"))]

    def revoke(self, name: str, *, now: datetime) -> ApiToken:
        """Mark token `name` revoked (idempotent) and return it."""
        row = self._session.scalar(select(ApiTokenRow).where(ApiTokenRow.name == name))
        if row is None:
            raise NotFound(f"no token named {name!r}")
        if row.revoked_at is None:
            row.revoked_at = now
            self._session.flush()
        return _to_token(row)
