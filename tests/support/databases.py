"""Fresh, migrated databases for each test: a copied SQLite file or a PostgreSQL clone.

Each kind is migrated once per session into a template; every test then gets its own copy,
so tests never see each other's rows. PostgreSQL databases are created and dropped here.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from fireline.store import migrate
from fireline.store.db import make_engine

POSTGRES_ENV = "FIRELINE_TEST_POSTGRES_URL"
REQUIRE_ENV = "FIRELINE_TEST_REQUIRE_POSTGRES"


def postgres_admin_url() -> str | None:
    """Return the PostgreSQL URL tests may use, or None when none is configured."""
    return os.environ.get(POSTGRES_ENV) or None


def postgres_required() -> bool:
    """Tell whether a missing PostgreSQL must fail the run (CI) rather than skip."""
    return os.environ.get(REQUIRE_ENV) == "1"


def _conninfo(url: str, *, database: str | None = None) -> str:
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    """Return `url` pointing at another database on the same server."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


class PostgresDatabases:
    """Creates databases on the configured server and drops them again."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.template = f"fireline_tpl_{uuid.uuid4().hex[:10]}"
        self._created: list[str] = []

    def _execute(self, statement: sql.Composable) -> None:
        with psycopg.connect(_conninfo(self.admin_url), autocommit=True) as connection:
            connection.execute(statement)

    def create(self, name: str, *, template: str | None = None) -> str:
        """Create database `name` (optionally as a copy of `template`) and return its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        self._execute(statement)
        self._created.append(name)
        return with_database(self.admin_url, name)

    def drop(self, name: str) -> None:
        """Drop database `name`, disconnecting anyone still on it."""
        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if name in self._created:
            self._created.remove(name)

    def make_template(self) -> None:
        """Create the session's template database and migrate it."""
        url = self.create(self.template)
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()

    @contextmanager
    def fresh(self, *, migrated: bool = True) -> Iterator[str]:
        """Yield the URL of a new database (a copy of the migrated template, or empty)."""
        name = f"fireline_t_{uuid.uuid4().hex[:12]}"
        url = self.create(name, template=self.template if migrated else None)
        try:
            yield url
        finally:
            self.drop(name)

    def close(self) -> None:
        """Drop every database this object created, the template last."""
        for name in [n for n in self._created if n != self.template]:
            self.drop(name)
        self.drop(self.template)


class SqliteDatabases:
    """Copies a migrated template file for each test."""

    def __init__(self, directory: Path) -> None:
        self.template = directory / "template.db"
        engine = make_engine(f"sqlite:///{self.template}")
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()

    def fresh(self, directory: Path, *, migrated: bool = True) -> str:
        """Return the URL of a new database file in `directory`."""
        target = directory / "fireline.db"
        if migrated:
            shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"
