"""Opening the database for admin commands, with advice when it is not ready."""

from __future__ import annotations

import typer

from fireline.app import build
from fireline.cli.output import Exit, fail
from fireline.config import Settings
from fireline.services.container import Container
from fireline.store import migrate


def admin_container() -> Container:
    """Build the container for a command that works on the database directly."""
    settings = Settings()
    container = build(settings)
    try:
        current = migrate.is_current(container.uow.engine)
    except Exception as error:  # noqa: BLE001 - any connection failure gets the same advice
        fail(
            f"cannot open the database {settings.database_url}: {error}",
            hint="check FIRELINE_DATABASE_URL",
        )
        raise typer.Exit(Exit.UNAVAILABLE) from error
    if not current:
        fail(
            f"the database {settings.database_url} is not migrated to this version",
            hint="run `fireline db upgrade` first",
        )
        raise typer.Exit(Exit.UNAVAILABLE)
    return container
