"""`fireline db`: migrate the database."""

from __future__ import annotations

from typing import Annotated

import typer

from fireline.app import build
from fireline.cli.output import console
from fireline.config import Settings
from fireline.store import migrate

app = typer.Typer(help="Migrate the database (FIRELINE_DATABASE_URL).", no_args_is_help=True)


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Revision to reach")] = "head",
) -> None:
    """Migrate the database up to the newest (or the given) revision."""
    container = build(Settings())
    before = migrate.current_revision(container.uow.engine)
    with console.status("migrating…"):
        migrate.upgrade(container.uow.engine, revision)
    after = migrate.current_revision(container.uow.engine)
    console.print(f"database at revision [bold]{after}[/] (was {before or 'empty'})")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Revision to go back to, or 'base'")],
) -> None:
    """Migrate the database down to an older revision."""
    container = build(Settings())
    migrate.downgrade(container.uow.engine, revision)
    console.print(f"database at revision {migrate.current_revision(container.uow.engine)}")


@app.command()
def current() -> None:
    """Show the database's revision and the newest one this version knows."""
    container = build(Settings())
    now_at = migrate.current_revision(container.uow.engine)
    head = migrate.head_revision()
    state = "current" if now_at == head else "needs `fireline db upgrade`"
    console.print(f"database: {now_at or 'empty'}  newest: {head}  ({state})")
