"""`fireline serve`: run the HTTP server (migrating the database first)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from fireline.app import build_web
from fireline.cli.output import Exit, console, fail
from fireline.config import Settings
from fireline.domain.errors import Invalid
from fireline.services.apply import apply_services_file
from fireline.services.tokens import list_tokens


def serve(
    *,
    host: Annotated[str | None, typer.Option(help="Address to bind [env FIRELINE_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind [env FIRELINE_PORT]")] = None,
    config: Annotated[Path | None, typer.Option(help="Config file [env FIRELINE_CONFIG]")] = None,
) -> None:
    """Serve the API (and apply the services of the config file, if it exists)."""
    overrides = {k: v for k, v in {"host": host, "port": port, "config": config}.items() if v}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level.lower() != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    app = build_web(settings)
    if settings.config.exists():
        container = app.state.container
        try:
            count, created = apply_services_file(
                container.uow, path=settings.config, now=container.clock.now()
            )
        except Invalid as error:
            for e in error.errors:
                fail(f"{settings.config}: {e.field}: {e.message}")
            raise typer.Exit(Exit.USAGE) from error
        console.print(f"loaded {count} services from {settings.config} ({created} new)")
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"Fireline serving on [bold]{url}[/]  (API docs: {url}/docs)", soft_wrap=True)
    if not list_tokens(app.state.container.uow):
        console.print(
            "No API tokens yet. Create one in another terminal:\n"
            "  .venv/bin/fireline token create --name me --role admin",
            soft_wrap=True,
        )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
