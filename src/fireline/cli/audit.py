"""`fireline audit verify`: recompute the timelines' hash chains."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from fireline.cli.context import admin_container
from fireline.cli.output import Exit, console, errors, fail, print_json
from fireline.domain.errors import NotFound
from fireline.domain.incidents.ref import format_ref, parse_ref
from fireline.services.audit import AuditReport, verify_timelines
from fireline.services.container import Container
from fireline.services.incidents import get_incident

app = typer.Typer(help="Check the integrity of the audit record.", no_args_is_help=True)


@app.command()
def verify(
    *,
    incident: Annotated[
        str | None, typer.Option("--incident", help="Only this incident (INC-12)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """Recompute every timeline's hash chain; exit 1 naming the first broken event."""
    with admin_container() as c:
        incident_id = None if incident is None else _existing(c, incident)
        # Progress goes to standard error, and only to a terminal: standard output is the
        # report, and a log file would keep the blank line Rich leaves behind.
        quiet = as_json or not errors.is_terminal
        with Progress(console=errors, transient=True, disable=quiet) as progress:
            task = progress.add_task("verifying timelines", total=None)
            report = verify_timelines(
                c.uow, incident_id=incident_id, progress=lambda n: progress.advance(task, n)
            )
    if as_json:
        _print_json(report)
    elif report.intact:
        console.print(
            f"[green]ok[/]: {report.events} events in {report.incidents} incident timelines verify"
        )
    else:
        for b in report.breaks:
            fail(f"{format_ref(b.incident_id)} event seq {b.seq}: {b.reason}")
        first = report.breaks[0]
        fail(
            f"{len(report.breaks)} broken timeline(s); first broken event: "
            f"{format_ref(first.incident_id)} seq {first.seq}"
        )
    if not report.intact:
        raise typer.Exit(Exit.REJECTED)


def _existing(c: Container, ref: str) -> int:
    try:
        incident_id = parse_ref(ref)
        get_incident(c.uow, incident_id=incident_id)
    except NotFound as error:
        fail(error.detail)
        raise typer.Exit(Exit.NOT_FOUND) from error
    return incident_id


def _print_json(report: AuditReport) -> None:
    print_json(
        {
            "intact": report.intact,
            "incidents": report.incidents,
            "events": report.events,
            "breaks": [
                {"incident": format_ref(b.incident_id), "seq": b.seq, "reason": b.reason}
                for b in report.breaks
            ],
        }
    )
