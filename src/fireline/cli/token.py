"""`fireline token`: create, list and revoke API tokens (directly on the database)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

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
    with admin_container() as c:
        try:
            issued = use.create_token(
                c.uow, name=name, role=role, created_by="cli", now=c.clock.now()
            )
        except Invalid as error:
            fail("invalid token:", details=[f"--{e.field}: {e.message}" for e in error.errors])
            raise typer.Exit(Exit.USAGE) from error
        except FirelineError as error:
            fail(error.detail)
            raise typer.Exit(Exit.REJECTED) from error
    if as_json:
        print_json({"name": name, "role": issued.token.role.value, "secret": issued.secret})
        return
    console.print(
        Text.assemble(
            "token ",
            (name, "bold"),
            f" ({issued.token.role.value}) created; its secret, shown only this once:",
        )
    )
    # On a line of its own, unstyled and never wrapped, so that it copies in one piece.
    console.print(issued.secret, markup=False, highlight=False, soft_wrap=True)


@app.command("list")
def list_(
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """List tokens (never their secrets)."""
    with admin_container() as c:
        tokens = use.list_tokens(c.uow)
    if as_json:
        print_json(
            [
                {
                    "name": t.name,
                    "role": t.role.value,
                    "created_at": t.created_at.isoformat(),
                    "created_by": t.created_by,
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                }
                for t in tokens
            ]
        )
        return
    if not tokens:
        console.print(
            "no tokens yet: create one with `fireline token create --name NAME --role ROLE`",
            markup=False,
            highlight=False,
        )
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for column in ("name", "role", "created (UTC)", "state"):
        table.add_column(column, no_wrap=True)
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
        table.add_row(Text(t.name), t.role.value, f"{t.created_at:%Y-%m-%d %H:%M}", state)
    console.print(table)


@app.command()
def revoke(name: Annotated[str, typer.Argument(help="The token's name")]) -> None:
    """Revoke a token at once."""
    with admin_container() as c:
        try:
            token = use.revoke_token(c.uow, name=name, now=c.clock.now())
        except NotFound as error:
            fail(error.detail, hint="`fireline token list` shows the names")
            raise typer.Exit(Exit.NOT_FOUND) from error
    console.print(Text.assemble("token ", (token.name, "bold"), " revoked"))
