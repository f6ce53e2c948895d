"""The `fireline` command."""

from __future__ import annotations

import typer

from fireline.cli import apply, audit, db, engine, incident, oncall, route, serve, token
from fireline.cli import runbook as runbook_cli
from fireline.cli import sandbox as sandbox_cli

app = typer.Typer(
    help="Fireline: incident management for the document platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("engine")(engine.engine)
app.add_typer(db.app, name="db")
app.add_typer(token.app, name="token")
app.add_typer(audit.app, name="audit")
app.add_typer(incident.app, name="incident")
app.add_typer(oncall.app, name="oncall")
app.command("apply")(apply.apply)
app.add_typer(route.app, name="route")
app.add_typer(runbook_cli.app, name="runbook")
app.add_typer(sandbox_cli.app, name="sandbox")


def main() -> None:
    """Run the command line."""
    app()
