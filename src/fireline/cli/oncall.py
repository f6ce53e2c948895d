"""`fireline oncall …`: who is on call, shifts, overrides and calendar feeds, over the HTTP API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from fireline.cli.client import DEFAULT_SERVER
from fireline.cli.connection import JsonFlag, Server, Token, call, connect
from fireline.cli.output import Exit, console, fail, print_json, print_lines
from fireline.domain.validation import SLUG

app = typer.Typer(
    help="See who is on call; override schedules; subscribe to calendars.", no_args_is_help=True
)
override_app = typer.Typer(help="Put someone else on call for a while.", no_args_is_help=True)
app.add_typer(override_app, name="override")

API = "/api/v1"
# The API's field names, as the options of these commands that carry them.
_OPTIONS = {
    "start_at": "--from",
    "end_at": "--to",
    "from": "--from",
    "to": "--to",
    "at": "--at",
    "user": "--user",
    "reason": "--reason",
    "schedule": "--schedule",
}


def _slug(kind: str) -> Callable[[str], str]:
    """Return a check that a schedule or user name is a slug, so it names no other API path."""

    def check(value: str) -> str:
        if not SLUG.match(value):
            fail(f"no {kind} named {value!r} (names are lowercase letters, digits and '-')")
            raise typer.Exit(Exit.NOT_FOUND)
        return value

    return check


def _optional_slug(value: str | None) -> str | None:
    return None if value is None else _slug("schedule")(value)


ScheduleOption = Annotated[
    str, typer.Option("--schedule", help="Schedule name", callback=_slug("schedule"))
]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from", help="ISO 8601 with offset, e.g. 2026-01-06T18:00:00+01:00 (default: now)"
    ),
]
ToOption = Annotated[str | None, typer.Option("--to", help="ISO 8601 with offset; exclusive")]


def _request(
    ctx: typer.Context, server: str, token: str | None, method: str, path: str, **kwargs: Any
) -> Any:
    """Send a command's one request; a field error names the option that carried the field."""
    return call(connect(ctx, server, token), method, path, options=_OPTIONS, **kwargs)


def _when(value: str | None) -> str:
    """Return an API instant as `2026-01-05 09:00` (the API answers in UTC)."""
    return "-" if not value else value.replace("T", " ")[:16]


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for name in columns:
        table.add_column(name, no_wrap=True)
    return table


def _print_table(table: Table, *, empty: str) -> None:
    """Print `table`, or say `empty` (dimmed) when it has no rows."""
    if table.row_count:
        console.print(table)
    else:
        console.print(empty, style="dim")


def _say(text: str) -> None:
    """Print a sentence that quotes the server's values: no markup, no highlighting, unbroken."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _window(start_at: str | None, end_at: str | None) -> dict[str, str]:
    return {k: v for k, v in (("from", start_at), ("to", end_at)) if v}


@app.command()
def who(
    ctx: typer.Context,
    *,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", help="One schedule (default: all)", callback=_optional_slug),
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="ISO 8601 with offset (default: now)")
    ] = None,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Show who is on call now (or --at an instant), per schedule."""
    params = {k: v for k, v in (("schedule", schedule), ("at", at)) if v}
    answers = _request(ctx, server, token, "GET", f"{API}/oncall", params=params)
    if as_json:
        print_json(answers)
        return
    table = _table("schedule", "on call", "since (UTC)", "until (UTC)", "layer")
    for a in answers:
        user = Text(a["user"]) if a["user"] else Text("nobody", style="bold red")
        table.add_row(
            Text(a["schedule"]), user, _when(a["start_at"]), _when(a["end_at"]), a["layer"] or "-"
        )
    _print_table(table, empty="no schedules are declared")


@app.command()
def shifts(
    ctx: typer.Context,
    *,
    schedule: ScheduleOption,
    start_at: FromOption = None,
    end_at: Annotated[
        str | None, typer.Option("--to", help="ISO 8601 with offset (default: 7 days on)")
    ] = None,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """List a schedule's final shifts, overrides included, over [--from, --to)."""
    path = f"{API}/schedules/{schedule}/shifts"
    result = _request(ctx, server, token, "GET", path, params=_window(start_at, end_at))
    if as_json:
        print_json(result)
        return
    table = _table("from (UTC)", "to (UTC)", "on call", "layer")
    for s in result["shifts"]:
        table.add_row(_when(s["start_at"]), _when(s["end_at"]), Text(s["user"]), s["layer"])
    _print_table(table, empty="nobody is on call in this window")


@override_app.command("add")
def add_override(
    ctx: typer.Context,
    *,
    schedule: ScheduleOption,
    user: Annotated[str, typer.Option("--user", help="Who takes the pager")],
    start_at: Annotated[str, typer.Option("--from", help="ISO 8601 with offset")],
    end_at: Annotated[str, typer.Option("--to", help="ISO 8601 with offset; exclusive")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the audit trail")] = "",
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Put a user on call for a schedule over [--from, --to), above every layer."""
    body = {"user": user, "start_at": start_at, "end_at": end_at, "reason": reason}
    view = _request(ctx, server, token, "POST", f"{API}/schedules/{schedule}/overrides", body=body)
    if as_json:
        print_json(view)
        return
    _say(
        f"override {view['id']}: {view['user']} on call for {view['schedule']} "
        f"from {_when(view['start_at'])} to {_when(view['end_at'])} UTC"
    )


@override_app.command("list")
def list_overrides(
    ctx: typer.Context,
    *,
    schedule: ScheduleOption,
    start_at: FromOption = None,
    end_at: ToOption = None,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """List a schedule's current and coming overrides (or those overlapping --from/--to)."""
    path = f"{API}/schedules/{schedule}/overrides"
    views = _request(ctx, server, token, "GET", path, params=_window(start_at, end_at))
    if as_json:
        print_json(views)
        return
    table = _table("id", "user", "from (UTC)", "to (UTC)", "by", "reason")
    for v in views:
        table.add_row(
            str(v["id"]),
            Text(v["user"]),
            _when(v["start_at"]),
            _when(v["end_at"]),
            Text(v["created_by"]),
            Text(v["reason"] or "-"),
        )
    _print_table(table, empty="no overrides")


@override_app.command("remove")
def remove_override(
    ctx: typer.Context,
    *,
    override_id: Annotated[int, typer.Argument(metavar="ID", help="The override's id")],
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Take an override away (it stays on record, with who removed it)."""
    view = _request(ctx, server, token, "DELETE", f"{API}/overrides/{override_id}")
    if as_json:
        print_json(view)
        return
    _say(
        f"override {view['id']} removed: {view['user']} is no longer on call for "
        f"{view['schedule']} from {_when(view['start_at'])} to {_when(view['end_at'])} UTC"
    )


@app.command()
def feed(
    ctx: typer.Context,
    *,
    user: Annotated[str, typer.Option("--user", help="Whose calendar", callback=_slug("user"))],
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Issue a user's calendar feed URL (older ones stop working) and print it."""
    issued = _request(ctx, server, token, "POST", f"{API}/users/{user}/feed-token")
    if as_json:
        print_json(issued)
        return
    # The URL alone on standard output, whole, so that scripts and copy-paste get it as is.
    print_lines([issued["url"]])
