"""Opening the database for admin commands, with advice when it is not ready."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from fireline.app import build
from fireline.cli.output import Exit, fail
from fireline.config import Settings
from fireline.services.container import Container
from fireline.store import migrate


def shown_url(url: str) -> str:
    """Return a database URL fit to print: its password, if any, masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


@contextmanager
def database() -> Iterator[Container]:
    """Open the database of FIRELINE_DATABASE_URL, migrated or not; release it afterwards."""
    settings = Settings()
    try:
        container = build(settings)
    except Exception as error:  # noqa: BLE001 - a bad URL or a missing driver get the same advice
        fail(
            f"cannot use the database {shown_url(settings.database_url)}: {error}",
            hint="check FIRELINE_DATABASE_URL",
        )
        raise typer.Exit(Exit.UNAVAILABLE) from error
    try:
        try:
            migrate.current_revision(container.uow.engine)
        except Exception as error:  # noqa: BLE001 - any connection failure gets the same advice
            reason = str(getattr(error, "orig", None) or error).strip()
            fail(
                f"cannot open the database {shown_url(settings.database_url)}: {reason}",
                hint="check FIRELINE_DATABASE_URL",
            )
            raise typer.Exit(Exit.UNAVAILABLE) from error
        yield container
    finally:
        # Close pooled connections now rather than at garbage collection.
        container.uow.engine.dispose()


@contextmanager
def admin_container() -> Iterator[Container]:
    """Open the database for a command that works on it directly; it must be migrated."""
    with database() as container:
        if not migrate.is_current(container.uow.engine):
            fail(
                f"the database {container.uow.engine.url.render_as_string(hide_password=True)} "
                "is not migrated to this version",
                hint="run `fireline db upgrade` first",
            )
            raise typer.Exit(Exit.UNAVAILABLE)
        yield container
