"""`fireline serve`: a real server process on a fresh database, and the ways it refuses to start."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fireline.app import build
from fireline.config import Settings
from tests.cli.harness import Fireline
from tests.support.announced import announced

SERVICES = """\
services:
  - name: uploads
    team: ingest
    tier: 1
    regions: [eu-west-1]
"""
BAD_SERVICES = """\
services:
  - name: Uploads!
    team: ingest
    tier: 7
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config file with one service, `uploads`."""
    path = tmp_path / "fireline.yaml"
    path.write_text(SERVICES)
    return path


@pytest.fixture
def served(empty_db_url: str, config: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Run `python -m fireline serve --port 0` on a never-migrated database.

    Yields the URL it announced and everything it printed until uvicorn finished starting
    (logged at the default level, info): the server's own output is the signal, so nothing
    polls or sleeps.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
    env["FIRELINE_DATABASE_URL"] = empty_db_url
    with announced(
        ["serve", "--port", "0", "--config", str(config)],
        cwd=tmp_path,
        env=env,
        url_pattern=r"Fireline serving on (http://127\.0\.0\.1:[1-9]\d*) ",
    ) as served_at:
        yield served_at


def test_serve_migrates_loads_the_config_and_serves_the_api(
    served: tuple[str, str], fireline: Fireline, empty_db_url: str, config: Path
) -> None:
    url, said = served
    assert f"applied {config}: 1 services; a new revision, now live" in said
    assert "No API tokens yet. Create one in another terminal:" in said
    # The URL printed is the port really listened on, not the 0 that was asked for.
    assert httpx.get(f"{url}/readyz").json()["status"] == "ready"

    admin = fireline.with_env(FIRELINE_DATABASE_URL=empty_db_url, FIRELINE_SERVER=url)
    secret = admin.json("token", "create", "--name", "alice", "--role", "responder")["secret"]
    alice = admin.with_env(FIRELINE_TOKEN=secret)
    opened = alice.json(
        "incident",
        "create",
        "--title",
        "Uploads failing",
        "--severity",
        "SEV1",
        "--service",
        "uploads",
    )
    assert (opened["ref"], opened["created_by"]) == ("INC-1", "alice")
    assert alice.ok("incident", "ack", "INC-1").stdout.startswith("INC-1 acknowledged")


def test_serve_refuses_a_bad_config_file_naming_each_field(admin: Fireline, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_SERVICES)
    result = admin("serve", "--port", "0", "--config", str(bad))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: {bad} was not loaded:"
    assert "  services[0].name: 'Uploads!' is not a slug" in result.stderr
    assert "  services[0].tier: must be one of 1, 2, 3, 4" in result.stderr
    assert "Fireline serving on" not in result.stdout


def test_serve_with_a_missing_config_file_exits_2(fireline: Fireline, tmp_path: Path) -> None:
    result = fireline("serve", "--config", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr


def test_serve_on_a_busy_port_exits_5(admin: Fireline) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = admin("serve", "--port", str(port))
    assert result.exit_code == 5
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "hint: pick another --port" in result.stderr


def test_serve_with_an_unreachable_database_exits_5(fireline: Fireline, closed_port: int) -> None:
    url = f"postgresql+psycopg://fireline:s3cret-pw@127.0.0.1:{closed_port}/fireline"
    result = fireline("serve", "--port", "0", env={"FIRELINE_DATABASE_URL": url})
    assert result.exit_code == 5
    assert "cannot open the database postgresql+psycopg://fireline:***@" in result.stderr
    assert "s3cret-pw" not in result.output


WORKER_CONFIG = """\
services:
  - name: uploads
    team: ingest
    tier: 1
    regions: [eu-west-1]
integrations:
  - name: api
    kind: generic
    key: workers-generic-key-0001
routing:
  catch_all_service: uploads
"""


def test_serve_with_two_workers_takes_alerts_in_both_processes(
    empty_db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "fireline.yaml"
    config.write_text(WORKER_CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
    env["FIRELINE_DATABASE_URL"] = empty_db_url
    with announced(
        ["serve", "--port", "0", "--config", str(config), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        url_pattern=r"Fireline serving on (http://127\.0\.0\.1:[1-9]\d*) ",
        servers=2,
    ) as (url, said):
        parent = re.search(r"Started parent process \[(\d+)\]", said)
        workers = set(re.findall(r"Started server process \[(\d+)\]", said))
        assert parent is not None, said
        assert len(workers) == 2, said
        assert parent.group(1) not in workers, said
        # The parent supervises the engine, a process of its own; the workers serve HTTP.
        engine = re.search(r"engine running in process (\d+) ", said)
        assert engine is not None, said
        assert engine.group(1) not in {parent.group(1), *workers}, said
        headers = {"Authorization": "Bearer workers-generic-key-0001"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            sent = [
                client.post(
                    "/api/v1/alerts",
                    json={"summary": f"upload {n} failed", "labels": {"instance": f"u{n}"}},
                )
                for n in range(40)
            ]
    assert [r.status_code for r in sent] == [200] * 40
    assert {r.json()["new"] for r in sent} == {1}
    container = build(Settings(database_url=empty_db_url))
    try:
        with container.uow.read() as tx:
            assert tx.alerts.count(status="firing") == 40
    finally:
        container.uow.engine.dispose()
