"""Calendar feed tokens: add one for a user, find the user of a token, revoke a user's tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fireline.store.tables import CalendarFeedTokenRow


class FeedTokenRepo:
    """Feed tokens in one transaction; callers pass the SHA-256 hex of the token."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, user: str, *, token_hash: str, created_by: str, now: datetime) -> None:
        """Store a new token of `user`."""
        self._session.add(
            CalendarFeedTokenRow(
                user=user, token_hash=token_hash, created_by=created_by, created_at=now
            )
        )
        self._session.flush()

    def find_user(self, token_hash: str) -> str | None:
        """Return the user of a live token, or None."""
        return self._session.scalar(
            select(CalendarFeedTokenRow.user).where(
                CalendarFeedTokenRow.token_hash == token_hash,
                CalendarFeedTokenRow.revoked_at.is_(None),
            )
        )

    def revoke_all(self, user: str, *, now: datetime) -> int:
        """Revoke every live token of `user`; return how many."""
        result = self._session.execute(
            update(CalendarFeedTokenRow)
            .where(CalendarFeedTokenRow.user == user, CalendarFeedTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
