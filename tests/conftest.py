"""Shared fixtures: a fake clock, a fresh database of each kind, the app, tokens and servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fireline.app import build
from fireline.config import Settings
from fireline.domain.service import make_service as new_service
from fireline.services.catalog import put_service
from fireline.services.container import Container
from fireline.services.tokens import create_token
from fireline.web.app import create_app
from tests.support.api import Api
from tests.support.databases import (
    PostgresDatabases,
    SqliteDatabases,
    postgres_admin_url,
    postgres_required,
)
from tests.support.fake_clock import FakeClock
from tests.support.server import serving

SKIP_POSTGRES = (
    "PostgreSQL tests skipped: set FIRELINE_TEST_POSTGRES_URL="
    "postgresql+psycopg://postgres@127.0.0.1:5432/test to run them"
)


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    """Migrate the SQLite template once per session."""
    return SqliteDatabases(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    """Migrate a PostgreSQL template once per session (None when no server is configured)."""
    url = postgres_admin_url()
    if url is None:
        yield None
        return
    databases = PostgresDatabases(url)
    try:
        databases.make_template()
    except psycopg.OperationalError as error:
        if postgres_required():
            pytest.fail(f"PostgreSQL at {url} is required but unreachable: {error}")
        yield None
        return
    yield databases
    databases.close()


def _postgres_or_skip(databases: PostgresDatabases | None) -> PostgresDatabases:
    if databases is None:
        if postgres_required():
            pytest.fail("FIRELINE_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL is usable")
        pytest.skip(SKIP_POSTGRES)
    return databases


def _fresh_url(
    kind: str,
    directory: Path,
    sqlite_databases: SqliteDatabases,
    postgres_databases: PostgresDatabases | None,
    *,
    migrated: bool,
) -> Iterator[str]:
    if kind == "sqlite":
        yield sqlite_databases.fresh(directory, migrated=migrated)
        return
    with _postgres_or_skip(postgres_databases).fresh(migrated=migrated) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_databases: SqliteDatabases,
    postgres_databases: PostgresDatabases | None,
) -> Iterator[str]:
    """A fresh, migrated database of each kind."""
    yield from _fresh_url(
        request.param, tmp_path, sqlite_databases, postgres_databases, migrated=True
    )


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_databases: SqliteDatabases,
    postgres_databases: PostgresDatabases | None,
) -> Iterator[str]:
    """A fresh database of each kind that has never been migrated."""
    yield from _fresh_url(
        request.param, tmp_path, sqlite_databases, postgres_databases, migrated=False
    )


@pytest.fixture
def clock() -> FakeClock:
    """The fake clock every test's container uses."""
    return FakeClock()


@pytest.fixture
def container(db_url: str, clock: FakeClock) -> Iterator[Container]:
    """The use-case container on a fresh database."""
    built = build(Settings(database_url=db_url), clock)
    yield built
    built.uow.engine.dispose()


@pytest.fixture
def app(container: Container) -> FastAPI:
    """The HTTP application."""
    return create_app(container)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client of the app, through ASGI."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_token(container: Container) -> Callable[..., str]:
    """Create a token and return its secret: `make_token("responder", name="bob")`."""

    def make(role: str, *, name: str | None = None) -> str:
        issued = create_token(
            container.uow,
            name=name or f"{role}-token",
            role=role,
            created_by="test",
            now=container.clock.now(),
        )
        return issued.secret

    return make


@pytest.fixture
def role_tokens(make_token: Callable[..., str]) -> Callable[[str], str]:
    """The secret of a token per role, created on first use (named after the role)."""
    secrets: dict[str, str] = {}

    def token_for(role: str) -> str:
        if role not in secrets:
            secrets[role] = make_token(role, name=role)
        return secrets[role]

    return token_for


@pytest.fixture
def api(client: TestClient, role_tokens: Callable[[str], str]) -> Api:
    """The API through ASGI, with a token per role."""
    return Api(client, role_tokens)


@pytest.fixture
def make_service(container: Container) -> Callable[..., str]:
    """Add a service to the catalog and return its name."""

    def make(name: str = "extraction", *, regions: tuple[str, ...] = ("eu-west-1",)) -> str:
        service = new_service(name=name, team="documents", tier=1, regions=list(regions))
        put_service(container.uow, service=service, now=container.clock.now())
        return name

    return make


@pytest.fixture
def make_incident(api: Api, make_service: Callable[..., str]) -> Callable[..., dict[str, Any]]:
    """Open an incident through the API and return its JSON."""
    known: set[str] = set()

    def make(**fields: Any) -> dict[str, Any]:
        body = {
            "title": "Queue saturated",
            "severity": "SEV2",
            "service": "extraction",
            "regions": ["eu-west-1"],
            **fields,
        }
        if body["service"] not in known:
            make_service(body["service"])
            known.add(body["service"])
        result: dict[str, Any] = api.ok("POST", "/api/v1/incidents", as_="responder", json=body)
        return result

    return make


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    """The app served over real HTTP on a loopback port."""
    with serving(app) as url:
        yield url
