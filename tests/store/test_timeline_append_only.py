"""The database itself refuses to rewrite the timeline, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fireline.services.container import Container


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE timeline_events SET actor = 'mallory'",
        "DELETE FROM timeline_events",
    ],
)
def test_update_and_delete_are_refused(
    container: Container, make_incident: Callable[..., dict[str, Any]], statement: str
) -> None:
    make_incident()
    with pytest.raises(DBAPIError, match="append-only"), container.uow.engine.begin() as conn:
        conn.execute(text(statement))
    with container.uow.engine.connect() as conn:
        actors = conn.execute(text("SELECT actor FROM timeline_events")).scalars().all()
    assert actors == ["responder"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_truncate_is_refused_on_postgresql(
    container: Container, make_incident: Callable[..., dict[str, Any]]
) -> None:
    make_incident()
    with pytest.raises(DBAPIError, match="append-only"), container.uow.engine.begin() as conn:
        conn.execute(text("TRUNCATE timeline_events CASCADE"))
