"""Fixtures of the CLI tests: `fireline` pointed at a live server or straight at the database."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from tests.cli.harness import Fireline


@pytest.fixture
def fireline() -> Fireline:
    """`fireline` with a clean environment: no server, token or database configured."""
    return Fireline()


@pytest.fixture
def responder(
    live_url: str, make_token: Callable[..., str], make_service: Callable[..., str]
) -> Fireline:
    """`fireline` as responder `alice` of the live server, which knows service `extraction`."""
    make_service("extraction")
    return Fireline(
        {"FIRELINE_SERVER": live_url, "FIRELINE_TOKEN": make_token("responder", name="alice")}
    )


@pytest.fixture
def admin(db_url: str) -> Fireline:
    """`fireline` for admin commands, on the test's database (the live server's, if any)."""
    return Fireline({"FIRELINE_DATABASE_URL": db_url})


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound by the OS, noted, and closed again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
