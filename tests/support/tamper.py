"""Edit stored rows behind Fireline's back, as an attacker with database access could."""

from __future__ import annotations

from sqlalchemy import Engine, text

SQLITE_GUARDS = ("timeline_events_no_update", "timeline_events_no_delete")


def tamper(engine: Engine, *statements: str) -> None:
    """Run `statements` with the append-only guards of the timeline out of the way."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for trigger in SQLITE_GUARDS:
                connection.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        else:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            connection.execute(text(statement))
