"""`fireline db …`: migrating the database of FIRELINE_DATABASE_URL, SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from fireline.store import migrate
from tests.cli.harness import Fireline


@pytest.fixture
def empty(empty_db_url: str) -> Fireline:
    """`fireline` on a database that was never migrated."""
    return Fireline({"FIRELINE_DATABASE_URL": empty_db_url})


def test_upgrade_migrates_an_empty_database_and_reports_the_revision(empty: Fireline) -> None:
    head = migrate.head_revision()
    assert empty.ok("db", "upgrade").stdout == f"database at revision {head} (was empty)\n"
    assert empty.ok("db", "current").stdout == f"database: {head}  newest: {head}  (current)\n"
    assert empty.json("token", "list") == []


def test_current_on_an_empty_database_says_to_upgrade(empty: Fireline) -> None:
    said = empty.ok("db", "current").stdout
    assert (
        said
        == f"database: empty  newest: {migrate.head_revision()}  (needs `fireline db upgrade`)\n"
    )


def test_upgrade_twice_changes_nothing(admin: Fireline) -> None:
    head = migrate.head_revision()
    assert admin.ok("db", "upgrade").stdout == f"database at revision {head} (was {head})\n"


def test_downgrade_to_base_empties_the_database_and_upgrade_restores_it(
    admin: Fireline,
) -> None:
    head = migrate.head_revision()
    gone = admin.ok("db", "downgrade", "base")
    assert gone.stdout == f"database at revision empty (was {head})\n"
    assert "needs `fireline db upgrade`" in admin.ok("db", "current").stdout
    assert admin("token", "list").exit_code == 5
    admin.ok("db", "upgrade")
    assert admin.json("token", "list") == []


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_an_unknown_revision_exits_2(admin: Fireline, command: str) -> None:
    result = admin("db", command, "nope")
    assert result.exit_code == 2
    assert "Can't locate revision identified by 'nope'" in result.stderr
    assert "(current)" in admin.ok("db", "current").stdout


def test_downgrade_needs_a_revision(admin: Fireline) -> None:
    assert admin("db", "downgrade").exit_code == 2


@pytest.mark.parametrize("command", [("db", "current"), ("db", "upgrade"), ("token", "list")])
def test_unreachable_database_exits_5_without_printing_its_password(
    fireline: Fireline, closed_port: int, command: tuple[str, ...]
) -> None:
    url = f"postgresql+psycopg://fireline:s3cret-pw@127.0.0.1:{closed_port}/fireline"
    result = fireline(*command, env={"FIRELINE_DATABASE_URL": url})
    assert result.exit_code == 5
    assert result.stderr.startswith(
        f"error: cannot open the database postgresql+psycopg://fireline:***@127.0.0.1:{closed_port}"
        "/fireline: "
    )
    assert "hint: check FIRELINE_DATABASE_URL" in result.stderr
    assert "s3cret-pw" not in result.output


def test_a_sqlite_file_that_cannot_be_opened_exits_5(fireline: Fireline, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing-directory/fireline.db"
    result = fireline("db", "upgrade", env={"FIRELINE_DATABASE_URL": url})
    assert result.exit_code == 5
    assert "unable to open database file" in result.stderr


def test_not_a_database_url_exits_5(fireline: Fireline) -> None:
    result = fireline("db", "current", env={"FIRELINE_DATABASE_URL": "fireline.db"})
    assert result.exit_code == 5
    assert result.stderr.startswith("error: cannot use the database (not a database URL): ")
    assert "check FIRELINE_DATABASE_URL" in result.stderr
