"""`fireline serve`: run the HTTP server (migrating the database first)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError
from uvicorn.supervisors import Multiprocess

from fireline.app import build_web
from fireline.cli.context import shown_url
from fireline.cli.engine_process import EngineProcess
from fireline.cli.listener import listen
from fireline.cli.logs import configure_logging, redact_access_log
from fireline.cli.output import Exit, console, fail
from fireline.cli.serve_worker import WORKER_APP, freeze_startup_objects
from fireline.config import MAX_WORKERS, Settings
from fireline.domain.errors import Invalid
from fireline.services.apply import apply_services_file
from fireline.services.tokens import list_tokens

# How long, beyond a poll interval, a stopping engine may take to finish its sends.
ENGINE_STOP_GRACE_S = 15.0


def serve(
    *,
    host: Annotated[str | None, typer.Option(help="Address to bind (env FIRELINE_HOST)")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to bind, 0 for any free one (env FIRELINE_PORT)")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Config file (env FIRELINE_CONFIG)"),
    ] = None,
    engine: Annotated[
        bool,
        typer.Option(
            "--engine/--no-engine",
            help="Also run the engine (paging, heartbeats, runbook steps) as a child process",
        ),
    ] = True,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_WORKERS,
            help="HTTP worker processes (env FIRELINE_WORKERS)",
        ),
    ] = None,
) -> None:
    """Serve the API (and apply the services of the config file, if it exists)."""
    # `is not None`: port 0 is a real choice (any free port), not "unset".
    overrides = {
        k: v
        for k, v in {"host": host, "port": port, "config": config, "workers": workers}.items()
        if v is not None
    }
    settings = Settings(**overrides)  # type: ignore[arg-type]
    configure_logging(settings.log_level)
    app = _app(settings)
    try:
        if settings.config.exists():
            _load_services(app, settings.config)
        with _engine_process(settings, enabled=engine):
            _run(app, settings)
    finally:
        app.state.container.uow.engine.dispose()


@contextmanager
def _engine_process(settings: Settings, *, enabled: bool) -> Iterator[None]:
    """Run the engine as a child process for as long as the server runs (ADR 8)."""
    if not enabled:
        yield
        return
    child = EngineProcess(
        {**os.environ, "FIRELINE_DATABASE_URL": settings.database_url},
        stop_timeout_s=settings.engine_interval_s + ENGINE_STOP_GRACE_S,
    )
    pid = child.start()
    console.print(f"engine running in process {pid} (restarted if it dies)")
    try:
        yield
    finally:
        child.stop()


def _run(app: FastAPI, settings: Settings) -> None:
    listener = listen(settings.host, settings.port, port_hint="--port (FIRELINE_PORT)")
    bound_port = listener.getsockname()[1]
    url = f"http://{f'[{settings.host}]' if ':' in settings.host else settings.host}:{bound_port}"
    console.print(
        f"Fireline serving on [bold]{escape(url)}[/]  (API docs: {escape(url)}/docs)",
        soft_wrap=True,
    )
    if not list_tokens(app.state.container.uow):
        console.print(
            "No API tokens yet. Create one in another terminal:\n"
            "  .venv/bin/fireline token create --name me --role admin",
            soft_wrap=True,
        )
    level = settings.log_level.lower()
    with listener:
        if settings.workers == 1:
            redact_access_log()
            freeze_startup_objects()
            single = uvicorn.Config(app, host=settings.host, port=bound_port, log_level=level)
            uvicorn.Server(single).run(sockets=[listener])
            return
        # Each worker builds its own app from the same environment (serve_worker.worker_app);
        # uvicorn's supervisor restarts a worker that dies, as EngineProcess does the engine.
        several = uvicorn.Config(
            WORKER_APP,
            factory=True,
            host=settings.host,
            port=bound_port,
            log_level=level,
            workers=settings.workers,
        )
        Multiprocess(several, sockets=[listener]).run()


def _app(settings: Settings) -> FastAPI:
    try:
        return build_web(settings)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip()
        fail(
            f"cannot open the database {shown_url(settings.database_url)}: {reason}",
            hint="check FIRELINE_DATABASE_URL",
        )
        raise typer.Exit(Exit.UNAVAILABLE) from error


def _load_services(app: FastAPI, path: Path) -> None:
    container = app.state.container
    try:
        count, recorded = apply_services_file(container.uow, path=path, now=container.clock.now())
    except Invalid as error:
        fail(f"{path} was not loaded:", details=[f"{e.field}: {e.message}" for e in error.errors])
        raise typer.Exit(Exit.USAGE) from error
    state = "a new revision, now live" if recorded else "the live revision"
    console.print(f"applied {path}: {count} services; {state}")
