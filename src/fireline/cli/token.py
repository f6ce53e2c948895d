"""`fireline token`: create, list and revoke API tokens (directly on the database)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fireline.cli.context import admin_container
from fireline.cli.output import Exit, console, fail, print_json
from fireline.domain.errors import FirelineError, Invalid, NotFound
from fireline.services import tokens as use

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


@app.command()
def create(
    *,
    name: Annotated[
        str, typer.Option("--name", help="Who or what uses it; the actor in timelines")
    ],
    role: Annotated[str, typer.Option("--role", help="viewer, responder, commander or admin")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """Create a token and print its secret, once."""
    c = admin_container()
    try:
        issued = use.create_token(c.uow, name=name, role=role, created_by="cli", now=c.clock.now())
    except Invalid as error:
        fail(error.detail)
        raise typer.Exit(Exit.USAGE) from error
    except FirelineError as error:
        fail(error.detail)
        raise typer.Exit(Exit.REJECTED) from error
    if as_json:
        print_json({"name": name, "role": issued.token.role.value, "secret": issued.secret})
        return
    console.print(
        f"token [bold]{name}[/] ({issued.token.role.value}) created; its secret, shown "
        "only this once:"
    )
    console.print(issued.secret, highlight=False, soft_wrap=True)


@app.command("list")
def list_(
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """List tokens (never their secrets)."""
    tokens = use.list_tokens(admin_container().uow)
    if as_json:
        print_json(
            [
                {
                    "name": t.name,
                    "role": t.role.value,
                    "created_at": t.created_at.isoformat(),
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                }
                for t in tokens
            ]
        )
        return
    table = Table("name", "role", "created", "state")
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        table.add_row(t.name, t.role.value, f"{t.created_at:%Y-%m-%d %H:%M}", state)
    console.print(table)


@app.command()
def revoke(name: Annotated[str, typer.Argument(help="The token's name")]) -> None:
    """Revoke a token at once."""
    c = admin_container()
    try:
        token = use.revoke_token(c.uow, name=name, now=c.clock.now())
    except NotFound as error:
        fail(error.detail, hint="`fireline token list` shows the names")
        raise typer.Exit(Exit.NOT_FOUND) from error
    console.print(f"token [bold]{token.name}[/] revoked")
