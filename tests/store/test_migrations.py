"""Every migration goes up, down and up again, and the models match the migrations."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from fireline.store import migrate
from fireline.store.db import make_engine
from fireline.store.tables import Base


def _snapshot(engine: Engine) -> dict[str, Any]:
    """Describe the schema: tables, columns, indexes, keys and constraints."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        schema[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "fks": sorted(
                (f["name"], tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        }
    schema["triggers"] = _triggers(engine)
    return schema


def _triggers(engine: Engine) -> list[str]:
    """Name the triggers (they guard the timeline, and autogenerate cannot see them)."""
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with engine.connect() as connection:
        return sorted(connection.execute(text(query)).scalars())


@pytest.fixture
def engine(empty_db_url: str) -> Any:
    built = make_engine(empty_db_url)
    yield built
    built.dispose()


def test_each_revision_goes_up_down_and_up_to_the_same_schema(engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = list(reversed(list(script.walk_revisions())))
    assert revisions, "there are no migrations"
    for revision in revisions:
        before = _snapshot(engine)
        migrate.upgrade(engine, revision.revision)
        after_up = _snapshot(engine)
        migrate.downgrade(engine, revision.down_revision or "base")
        assert _snapshot(engine) == before, f"downgrade of {revision.revision} left changes"
        migrate.upgrade(engine, revision.revision)
        assert _snapshot(engine) == after_up, f"re-upgrade of {revision.revision} differs"
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert len(_triggers(engine)) >= 2


def test_models_match_the_migrations(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    migrate.upgrade(engine)
    first = _snapshot(engine)
    migrate.upgrade(engine)
    assert _snapshot(engine) == first
    assert migrate.is_current(engine)


def test_migration_files_have_dated_names_and_docstrings() -> None:
    files = sorted(p for p in migrate.MIGRATIONS_DIR.joinpath("versions").glob("*.py"))
    assert files
    for path in files:
        stem = path.stem
        assert stem[:4].isdigit(), stem
        assert (stem[4], stem[7], stem[10], stem[15]) == ("_", "_", "_", "_"), stem
        assert path.read_text().startswith('"""'), f"{path.name} explains nothing"


def test_concurrent_upgrades_in_separate_processes_all_succeed(empty_db_url: str) -> None:
    """Several processes migrating at once (three `serve` starting): one migrates under the
    lock, the others then find the schema current."""
    env = {**os.environ, "FIRELINE_DATABASE_URL": empty_db_url}
    command = [sys.executable, "-m", "fireline", "db", "upgrade"]
    starts = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=120), p.communicate()) for p in starts]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    engine = make_engine(empty_db_url)
    assert migrate.is_current(engine)
    engine.dispose()
