"""The README's walkthrough, run word for word against a real `fireline serve`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 60.0
POLL_S = 0.05


def _walkthrough() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- walkthrough:start -->")[1].split("<!-- walkthrough:end -->")[0]
    return block.split("```bash\n", 1)[1].rsplit("```", 1)[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    """Poll /readyz until it answers 200; the pause between polls waits on the process."""
    with httpx.Client(timeout=2) as client:
        for _ in range(int(START_TIMEOUT_S / POLL_S)):
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            try:
                server.wait(timeout=POLL_S)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError("fireline serve exited before it was ready")
    raise RuntimeError("fireline serve did not become ready")


@pytest.fixture
def served_workdir(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh work directory with `.venv` and `examples/`, and a server running in it."""
    (tmp_path / ".venv").symlink_to(BIN.parent)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIRELINE_")}
    env |= {
        "FIRELINE_CONFIG": "examples/fireline.yaml",
        "FIRELINE_PORT": str(port),
        "FIRELINE_SERVER": f"http://127.0.0.1:{port}",
        "COLUMNS": "200",
    }
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "fireline"), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(env["FIRELINE_SERVER"], server)
        yield tmp_path, env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_readme_walkthrough_works_as_written(
    served_workdir: tuple[Path, dict[str, str]],
) -> None:
    workdir, env = served_workdir
    port = env["FIRELINE_PORT"]
    script = _walkthrough().replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert '"status":"ready"' in out
    assert '"ref":"INC-1"' in out
    assert '"field":"severity"' in out
    assert '"severity":"SEV1","status":"acknowledged"' in out
    assert "INC-1 resolved: now resolved" in out
    assert re.search(r"ok.*events in 1 incident", out)
    assert '"opened":["INC-2"]' in out
    assert '{"status":"success","message":"Event processed","dedup_key":"uploads/eu-west-1"}' in out
    assert "INC-3" in out
    assert "auth-tokens" in out
