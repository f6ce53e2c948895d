"""`fireline incident …`: responder commands, over the HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from fireline.cli import render
from fireline.cli.client import DEFAULT_SERVER, ApiClient
from fireline.cli.connection import JsonFlag, Server, Token, call, connect
from fireline.cli.output import Exit, console, errors, fail, print_json, print_lines
from fireline.domain.errors import NotFound
from fireline.domain.incidents.ref import format_ref, parse_ref

app = typer.Typer(help="Work incidents through the API.", no_args_is_help=True)

API = "/api/v1/incidents"
# Below the API's cap of 10,000 per page, which it checks against limit + 1.
JOB_PAGE = 5000
TIMELINE_PAGE = 1000
INCIDENT_PAGE = 500


def _checked_ref(value: str) -> str:
    """Return `value` as INC-12, so that no reference can name another path of the API."""
    try:
        return format_ref(parse_ref(value))
    except NotFound as error:
        fail(error.detail)
        raise typer.Exit(Exit.NOT_FOUND) from error


Ref = Annotated[str, typer.Argument(help="INC-12 or 12", callback=_checked_ref)]
Reason = Annotated[str | None, typer.Option("--reason", help="Why, for the timeline")]
Version = Annotated[
    int | None, typer.Option("--expected-version", help="Refuse if the incident changed since")
]


@app.command("list")
def list_(
    ctx: typer.Context,
    *,
    status: Annotated[list[str] | None, typer.Option("--status", help="Repeatable")] = None,
    severity: Annotated[list[str] | None, typer.Option("--severity", help="Repeatable")] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    region: Annotated[str | None, typer.Option("--region")] = None,
    job: Annotated[
        str | None, typer.Option("--job", help="Only incidents that touched this job")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Created at or after (ISO 8601)")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Created before (ISO 8601)")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many at most")] = 50,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """List incidents, newest first."""
    api = connect(ctx, server, token)
    params: dict[str, Any] = {
        "status": status,
        "severity": severity,
        "service": service,
        "region": region,
        "job_id": job,
        "created_since": since,
        "created_until": until,
    }
    params = {k: v for k, v in params.items() if v}
    items: list[dict[str, Any]] = []
    cursor = None
    while len(items) < limit:
        page_size = min(INCIDENT_PAGE, limit - len(items))
        page = call(
            api,
            "GET",
            API,
            params={**params, "limit": page_size, **({"cursor": cursor} if cursor else {})},
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    if as_json:
        print_json(items)
    else:
        render.incident_table(items)


@app.command()
def show(
    ctx: typer.Context,
    *,
    ref: Ref,
    timeline: Annotated[bool, typer.Option("--timeline/--no-timeline")] = True,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Show one incident and its timeline."""
    api = connect(ctx, server, token)
    incident = call(api, "GET", f"{API}/{ref}")
    events: list[dict[str, Any]] = []
    after = 0
    while timeline:
        page = call(
            api,
            "GET",
            f"{API}/{ref}/timeline",
            params={"after_seq": after, "limit": TIMELINE_PAGE},
        )
        events += page["items"]
        if page["next_after_seq"] is None:
            break
        after = page["next_after_seq"]
    if as_json:
        print_json({**incident, **({"timeline": events} if timeline else {})})
        return
    render.incident_detail(incident)
    if timeline:
        render.timeline_table(events)


@app.command()
def create(
    ctx: typer.Context,
    *,
    title: Annotated[str, typer.Option("--title")],
    severity: Annotated[str, typer.Option("--severity", help="SEV1 (worst) to SEV5")],
    service: Annotated[str, typer.Option("--service")],
    region: Annotated[list[str] | None, typer.Option("--region", help="Repeatable")] = None,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Open an incident."""
    api = connect(ctx, server, token)
    body = {"title": title, "severity": severity, "service": service, "regions": region or []}
    incident = call(api, "POST", API, body=body)
    if as_json:
        print_json(incident)
    else:
        console.print(
            f"opened [bold]{incident['ref']}[/] "
            f"({escape(incident['severity'])}, {escape(incident['service'])})",
            highlight=False,
        )


def _transition_command(name: str, action: str, verb: str, summary: str) -> None:
    """Add the command `name` that POSTs `…/{ref}/{action}` and says what the incident became."""

    def command(
        ctx: typer.Context,
        *,
        ref: Ref,
        reason: Reason = None,
        expected_version: Version = None,
        as_json: JsonFlag = False,
        server: Server = DEFAULT_SERVER,
        token: Token = None,
    ) -> None:
        api = connect(ctx, server, token)
        body = {"reason": reason, "expected_version": expected_version}
        incident = call(
            api,
            "POST",
            f"{API}/{ref}/{action}",
            body={k: v for k, v in body.items() if v is not None},
        )
        if as_json:
            print_json(incident)
            return
        console.print(
            f"{incident['ref']} {verb}: now [bold]{escape(incident['status'])}[/] "
            f"(version {incident['version']})",
            highlight=False,
        )

    command.__doc__ = summary
    app.command(name)(command)


_transition_command("ack", "acknowledge", "acknowledged", "Acknowledge an incident.")
_transition_command("mitigate", "mitigate", "mitigated", "Mark an incident mitigated.")
_transition_command("resolve", "resolve", "resolved", "Resolve an incident.")
_transition_command("reopen", "reopen", "reopened", "Reopen a resolved incident.")


@app.command()
def note(
    ctx: typer.Context,
    *,
    ref: Ref,
    text: Annotated[str, typer.Argument(help="The note")],
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Add a note to an incident's timeline."""
    api = connect(ctx, server, token)
    event = call(api, "POST", f"{API}/{ref}/notes", body={"text": text})
    if as_json:
        print_json(event)
    else:
        console.print(f"note added to {ref} as event {event['seq']}")


@app.command()
def assign(
    ctx: typer.Context,
    *,
    ref: Ref,
    role: Annotated[
        str, typer.Option("--role", help="commander, communications_lead, scribe or responder")
    ],
    person: Annotated[str, typer.Option("--person")],
    remove: Annotated[bool, typer.Option("--remove", help="Take the role away instead")] = False,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """Assign a role on an incident (needs a commander token)."""
    api = connect(ctx, server, token)
    incident = call(
        api, "POST", f"{API}/{ref}/roles", body={"role": role, "person": person, "remove": remove}
    )
    if as_json:
        print_json(incident)
    else:
        console.print(
            f"{incident['ref']}: {person} {'no longer' if remove else 'now'} {role}",
            markup=False,
            highlight=False,
        )


@app.command()
def jobs(
    ctx: typer.Context,
    *,
    ref: Ref,
    link: Annotated[
        list[str] | None, typer.Option("--link", help="Job ID to link (repeatable)")
    ] = None,
    unlink: Annotated[
        list[str] | None, typer.Option("--unlink", help="Job ID to unlink (repeatable)")
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            exists=True,
            dir_okay=False,
            help="Link the job IDs in this file, one per line",
        ),
    ] = None,
    as_json: JsonFlag = False,
    server: Server = DEFAULT_SERVER,
    token: Token = None,
) -> None:
    """List an incident's job IDs, or link and unlink them."""
    api = connect(ctx, server, token)
    to_link = list(link or [])
    if from_file is not None:
        to_link += _job_ids_in(from_file)
    results = []
    if to_link:
        results.append(call(api, "POST", f"{API}/{ref}/jobs", body={"job_ids": to_link}))
    if unlink:
        results.append(call(api, "POST", f"{API}/{ref}/jobs/unlink", body={"job_ids": unlink}))
    if results:
        _report_links(results, linking=bool(to_link), as_json=as_json)
        return
    _list_jobs(api, ref, as_json=as_json)


def _job_ids_in(path: Path) -> list[str]:
    job_ids = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not job_ids:
        fail(f"{path} lists no job IDs (one per line)")
        raise typer.Exit(Exit.USAGE)
    return job_ids


def _report_links(results: list[dict[str, Any]], *, linking: bool, as_json: bool) -> None:
    if as_json:
        print_json(results)
        return
    verbs = (["linked"] if linking else []) + ["unlinked"]
    for verb, r in zip(verbs, results, strict=False):
        console.print(
            f"{r['incident']}: {r['changed']} of {r['requested']} job IDs {verb}; "
            f"{r['total']} linked in all"
        )


def _list_jobs(api: ApiClient, ref: str, *, as_json: bool) -> None:
    job_ids: list[dict[str, Any]] = []
    after = None
    while True:
        page = call(
            api,
            "GET",
            f"{API}/{ref}/jobs",
            params={"limit": JOB_PAGE, **({"after": after} if after else {})},
        )
        job_ids += page["items"]
        after = page["next_after"]
        if after is None:
            break
    if as_json:
        print_json(job_ids)
        return
    # Plain lines, so that the list feeds `--file` and scripts as it is; the count goes to
    # standard error for the same reason.
    print_lines(j["job_id"] for j in job_ids)
    errors.print(f"[dim]{len(job_ids)} job IDs linked to {ref}[/]", highlight=False)
