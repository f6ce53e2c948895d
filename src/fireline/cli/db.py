"""`fireline db`: migrate the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from fireline.cli.context import database
from fireline.cli.output import Exit, console, errors, fail
from fireline.store import migrate

app = typer.Typer(help="Migrate the database (FIRELINE_DATABASE_URL).", no_args_is_help=True)


def _migrate(engine: Engine, step: Callable[[Engine, str], None], revision: str) -> None:
    try:
        step(engine, revision)
    except CommandError as error:  # an unknown or ambiguous revision
        fail(str(error), hint="`fireline db current` shows the newest revision")
        raise typer.Exit(Exit.USAGE) from error


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Revision to reach")] = "head",
) -> None:
    """Migrate the database up to the newest (or the given) revision."""
    with database() as container:
        engine = container.uow.engine
        before = migrate.current_revision(engine)
        with errors.status("migrating…"):
            _migrate(engine, migrate.upgrade, revision)
        after = migrate.current_revision(engine)
    console.print(f"database at revision [bold]{after}[/] (was {before or 'empty'})")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Revision to go back to, or 'base'")],
) -> None:
    """Migrate the database down to an older revision."""
    with database() as container:
        engine = container.uow.engine
        before = migrate.current_revision(engine)
        _migrate(engine, migrate.downgrade, revision)
        after = migrate.current_revision(engine)
    console.print(f"database at revision [bold]{after or 'empty'}[/] (was {before or 'empty'})")


@app.command()
def current() -> None:
    """Show the database's revision and the newest one this version knows."""
    with database() as container:
        now_at = migrate.current_revision(container.uow.engine)
    head = migrate.head_revision()
    state = "current" if now_at == head else "needs `fireline db upgrade`"
    console.print(f"database: {now_at or 'empty'}  newest: {head}  ({state})")
