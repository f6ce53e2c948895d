"""A real HTTP server on loopback (port 0) serving an ASGI app from a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

READY_TIMEOUT_S = 20.0


@contextmanager
def serving(app: ASGIApp, *, scheme: str = "http", **uvicorn_options: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 at a free port; yield its base URL; stop it afterwards.

    `uvicorn_options` go to `uvicorn.Config` (e.g. `ssl_context_factory` with scheme "https").
    """
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", **uvicorn_options
    )
    server = uvicorn.Server(config)
    ready = threading.Event()
    original_startup = server.startup

    async def startup(sockets: object = None) -> None:
        await original_startup(sockets)  # type: ignore[arg-type]
        ready.set()

    server.startup = startup  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, name="test-server", daemon=True)
    thread.start()
    if not ready.wait(READY_TIMEOUT_S) or not server.servers:
        server.should_exit = True
        thread.join(READY_TIMEOUT_S)
        raise RuntimeError("the test server did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(READY_TIMEOUT_S)
