"""`fireline runbook …`: read runbooks at any commit, run them on incidents, approve steps.

Every command goes through the HTTP API, so it works from any laptop with a token.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich import box
from rich.markdown import Markdown
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from fireline.cli.client import DEFAULT_SERVER
from fireline.cli.connection import JsonFlag, Server, Token, call, connect
from fireline.cli.output import Exit, console, fail, print_json, print_lines
from fireline.domain.errors import NotFound
from fireline.domain.incidents.ref import format_ref, parse_ref
from fireline.domain.validation import SLUG

app = typer.Typer(
    help="Read runbooks at any commit, run them on incidents, approve their steps.",
    no_args_is_help=True,
)

API = "/api/v1"
SHORT = 12  # characters of a commit id shown to people
# The API's field names, as the arguments and options of these commands that carry them.
_OPTIONS = {"runbook": "ID", "at": "--at", "step": "--step", "limit": "--limit"}


def _runbook_id(value: str) -> str:
    """Return `value` if it can be a runbook id, so that it names no other path of the API."""
    if not SLUG.match(value):
        fail(f"no runbook {value!r} (ids are lowercase letters, digits and '-')")
        raise typer.Exit(Exit.NOT_FOUND)
    return value


def _incident_ref(value: str) -> str:
    """Return `value` as INC-12, so that no reference can name another path of the API."""
    try:
        return format_ref(parse_ref(value))
    except NotFound as error:
        fail(error.detail)
        raise typer.Exit(Exit.NOT_FOUND) from error


RunbookId = Annotated[
    str, typer.Argument(metavar="ID", help="The runbook's id", callback=_runbook_id)
]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="A commit id, or a prefix of 7+ hex digits (default: HEAD)"),
]
IncidentOption = Annotated[
    str, typer.Option("--incident", help="INC-12 or 12", callback=_incident_ref)
]


def _request(
    ctx: typer.Context, server: str, token: str | None, method: str, path: str, **kwargs: Any
) -> Any:
    """Send a command's one request; a field error names the option that carried the field."""
    return call(connect(ctx, server, token), method, path, options=_OPTIONS, **kwargs)


def _say(text: str) -> None:
    """Print a sentence that quotes the server's values: no markup, no highlighting, unbroken."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for name in columns:
        table.add_column(name, no_wrap=name not in ("title", "message"))
    return table


def _when(value: str | None) -> str:
    """Return an API instant as `2026-01-05 09:00:00` (UTC)."""
    return "-" if not value else value.replace("T", " ")[:19]


def _at(at: str | None) -> dict[str, str]:
    return {"at": at} if at else {}


@app.command("list")
def list_(
    ctx: typer.Context,
    *,
    at: AtOption = None,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """List the runbooks at HEAD (or --at a commit), with their steps in brief."""
    runbooks = _request(ctx, server, token, "GET", f"{API}/runbooks", params=_at(at))
    if as_json:
        print_json(runbooks)
        return
    if not runbooks:
        console.print("no runbooks at this commit", style="dim")
        return
    table = _table("id", "title", "owners", "alerts", "steps")
    for r in runbooks:
        table.add_row(
            Text(r["id"]),
            Text(r["title"]),
            Text(", ".join(r["owners"])),
            Text(", ".join(r["applies_to"]["alertnames"]) or "-"),
            str(len(r["steps"])),
        )
    console.print(table)
    console.print(f"at commit {runbooks[0]['commit'][:SHORT]}", style="dim", highlight=False)


def _param(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _action_line(action: dict[str, Any]) -> str:
    """Say an action as `kind: name=value …`, templates as written."""
    shown = {k: v for k, v in action["params"].items() if v not in (None, {}, [])}
    params = " ".join(f"{k}={_param(v)}" for k, v in shown.items())
    return f"{action['kind']}: {params}"


def _guards(step: dict[str, Any]) -> str:
    tags = ["auto"] if step["auto"] else []
    if step["approval"]:
        tags.append(f"needs {step['approval']} approval")
    if step["rate_limit"]:
        tags.append(f"at most {step['rate_limit']['count']} per {step['rate_limit']['per']}")
    tags.append(f"timeout {step['timeout']}")
    return f"[{', '.join(tags)}]"


def _print_steps(steps: list[dict[str, Any]]) -> None:
    for step in steps:
        _say(f"{step['number']:>3}. {step['title']}  {_guards(step)}")
        lines = [step["prose"]] if step["prose"] else []
        if step["action"]:
            lines.append(_action_line(step["action"]))
        if step["rollback"]:
            lines.append("rollback " + _action_line(step["rollback"]))
        for line in lines:
            _say(f"     {' '.join(line.split())}")


@app.command()
def show(
    ctx: typer.Context,
    *,
    runbook_id: RunbookId,
    at: AtOption = None,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Show a runbook as of HEAD (or --at a commit): its steps and actions, then its text."""
    path = f"{API}/runbooks/{runbook_id}"
    runbook = _request(ctx, server, token, "GET", path, params=_at(at))
    if as_json:
        print_json(runbook)
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    applies = runbook["applies_to"]
    for label, value in (
        ("id", runbook["id"]),
        ("commit", runbook["commit"][:SHORT]),
        ("path", runbook["path"]),
        ("owners", ", ".join(runbook["owners"])),
        ("alerts", ", ".join(applies["alertnames"]) or "-"),
        ("matchers", ", ".join(applies["matchers"]) or "-"),
    ):
        grid.add_row(label, Text(value))
    console.print(Text(runbook["title"], style="bold"))
    console.print(grid)
    console.print(Text("steps", style="bold"))
    _print_steps(runbook["steps"])
    console.print(Rule(style="dim"))
    console.print(Markdown(runbook["body"]))


@app.command()
def log(
    ctx: typer.Context,
    *,
    runbook_id: RunbookId,
    limit: Annotated[int, typer.Option("--limit", help="How many commits at most")] = 50,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """List the commits that changed a runbook, newest first: who, when and why."""
    path = f"{API}/runbooks/{runbook_id}/history"
    revisions = _request(ctx, server, token, "GET", path, params={"limit": limit})
    if as_json:
        print_json(revisions)
        return
    table = _table("commit", "when (UTC)", "author", "message")
    for r in revisions:
        message = r["message"].splitlines()[0] if r["message"] else ""
        if r["path"] is None:
            message = f"(deleted) {message}"
        table.add_row(
            r["commit"][:SHORT], _when(r["committed_at"]), Text(r["author"]), Text(message)
        )
    console.print(table)


def _plan_line(line: dict[str, Any]) -> str:
    said = f"{line['step']:>3}. {line['title']}: "
    if line["problem"]:
        said += f"cannot run here: {line['problem']}"
    else:
        said += line["does"] or "nothing to do (prose only)"
    if line["approval"]:
        said += f" (waits for {line['approval']} approval)"
    if line["done_before"] == "failed":
        said += " (failed before on this incident: tried again)"
    elif line["done_before"]:
        said += f" (skipped: already {line['done_before']} for this incident)"
    return said


@app.command()
def run(
    ctx: typer.Context,
    *,
    runbook_id: RunbookId,
    incident: IncidentOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say exactly what would be done; do nothing")
    ] = False,
    step: Annotated[int | None, typer.Option("--step", help="Only this step (1-based)")] = None,
    at: AtOption = None,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Run a runbook on an incident (every step, or --step N); --dry-run only plans it."""
    body: dict[str, Any] = {"runbook": runbook_id, "dry_run": dry_run, **_at(at)}
    if step is not None:
        body["step"] = step
    path = f"{API}/incidents/{incident}/runbook-runs"
    started = _request(ctx, server, token, "POST", path, body=body)
    if as_json:
        print_json(started)
        return
    where = f"{started['runbook']} at {started['commit'][:SHORT]} on {incident}"
    head = f"dry run of {where}: nothing was done" if started["dry_run"] else f"{where}:"
    print_lines([head, *(_plan_line(line) for line in started["plan"])])
    if started["run"] is not None:
        _say(
            f"run {started['run']['id']} started; the engine runs the steps in turn. "
            f"Watch it with `fireline runbook runs --incident {incident}`"
        )


_NEXT = {
    "waiting_approval": "a commander approves it with `fireline runbook approve {id}`",
    "waiting_confirmation": "confirm it is done with `fireline runbook approve {id}`",
}


def _print_run(run: dict[str, Any]) -> None:
    """Say a run, then each step run: its id (for `approve`), status, who let it go, output."""
    _say(
        f"run {run['id']}: {run['runbook']} at {run['commit'][:SHORT]}, {run['status']} "
        f"({run['mode']}, started by {run['started_by']} at {_when(run['created_at'])} UTC)"
    )
    for s in run["steps"]:
        said = f"  step run {s['id']}: step {s['step']} {s['title']}: {s['status']}"
        if s["approved_by"]:
            said += f", approved by {s['approved_by']}"
        if s["finished_at"]:
            said += f", finished {_when(s['finished_at'])}"
        if s["status"] in _NEXT:
            said += "; " + _NEXT[s["status"]].format(id=s["id"])
        _say(said)
        if s["output"]:
            _say(f"      {' '.join(s['output'].split())}")


@app.command()
def runs(
    ctx: typer.Context,
    *,
    incident: IncidentOption,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """List an incident's runbook runs and the state of each step (ids are for `approve`)."""
    path = f"{API}/incidents/{incident}/runbook-runs"
    found = _request(ctx, server, token, "GET", path)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print(f"no runbook runs on {incident}", style="dim")
        return
    for r in found:
        _print_run(r)


@app.command()
def approve(
    ctx: typer.Context,
    *,
    step_run_id: Annotated[
        int, typer.Argument(metavar="STEP_RUN_ID", help="From `fireline runbook runs`", min=1)
    ],
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Approve a step that waits for a commander, or confirm a manual step as done."""
    path = f"{API}/runbook-steps/{step_run_id}/approve"
    view = _request(ctx, server, token, "POST", path)
    if as_json:
        print_json(view)
        return
    _say(
        f"step run {view['id']} ({view['incident']} step {view['step']}: {view['title']}) "
        f"approved by {view['approved_by']}; the engine takes it from here"
    )


@app.command()
def skip(
    ctx: typer.Context,
    *,
    step_run_id: Annotated[
        int, typer.Argument(metavar="STEP_RUN_ID", help="From `fireline runbook runs`", min=1)
    ],
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Skip a step that waits for a person (commanders only); the run goes on without it."""
    view = _request(ctx, server, token, "POST", f"{API}/runbook-steps/{step_run_id}/skip")
    if as_json:
        print_json(view)
        return
    _say(
        f"step run {view['id']} ({view['incident']} step {view['step']}: {view['title']}) "
        f"skipped; the run goes on"
    )
