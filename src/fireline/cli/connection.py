"""What every command that works through the HTTP API shares: its options, client and errors.

    def ack(ctx: typer.Context, *, as_json: JsonFlag = False,
            server: Server = DEFAULT_SERVER, token: Token = None) -> None:
        api = connect(ctx, server, token)
        incident = call(api, "POST", "/api/v1/incidents/INC-1/acknowledge")

Every command takes --server and --token itself, so they go anywhere on the command line
(`fireline incident ack INC-1 --token …`), as people type them. `call()` prints a refusal
(message, field errors, hint) on standard error and exits with its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Any, NoReturn

import typer

from fireline.cli.client import ApiClient, ApiError
from fireline.cli.output import fail

Server = Annotated[
    str,
    typer.Option(
        "--server", envvar="FIRELINE_SERVER", help="Fireline URL", rich_help_panel="Connection"
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="FIRELINE_TOKEN",
        help="API token; prefer the variable, as command lines are visible to other users",
        rich_help_panel="Connection",
        show_default=False,
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def connect(ctx: typer.Context, server: str, token: str | None) -> ApiClient:
    """Return a client of `server`, closed when the command ends."""
    client = ApiClient(server=server, token=token)
    ctx.call_on_close(client.close)
    return client


def call(
    api: ApiClient,
    method: str,
    path: str,
    *,
    options: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """Return the API's answer, or print its refusal and exit with the matching code.

    `options` names the command-line option that carries each API field ({"end_at": "--to"}),
    so that a field error speaks of what the user typed: "--to: must be after start_at".
    """
    try:
        return api.call(method, path, **kwargs)
    except ApiError as error:
        named = tuple(_as_option(e, options or {}) for e in error.field_errors)
        _exit(replace(error, field_errors=named))


def _as_option(field_error: str, options: Mapping[str, str]) -> str:
    """Return "end_at: must be after start_at" as "--to: must be after start_at"."""
    field, colon, message = field_error.partition(":")
    return f"{options.get(field, field)}{colon}{message}"


def _exit(error: ApiError) -> NoReturn:
    fail(error.message, hint=error.hint, details=error.field_errors)
    raise typer.Exit(error.exit_code)
