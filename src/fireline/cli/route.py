"""`fireline route test`: show where an alert would go, offline, as `amtool config routes test`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from fireline.cli.apply import read_config
from fireline.cli.output import Exit, console, fail, print_json
from fireline.config import Settings
from fireline.domain.alerts.alert import AlertAction, AlertIn, make_alert
from fireline.domain.errors import Invalid
from fireline.domain.routing.rules import Decision, route

app = typer.Typer(help="Try the routing rules of a config file.", no_args_is_help=True)

SOURCE = "route-test"


@app.command("test")
def try_alert(
    *,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Config file (default: $FIRELINE_CONFIG, else ./fireline.yaml)",
            show_default=False,
        ),
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="A label NAME=VALUE; repeat it")
    ] = None,
    annotation: Annotated[
        list[str] | None, typer.Option("--annotation", help="An annotation NAME=VALUE; repeat it")
    ] = None,
    summary: Annotated[
        str | None, typer.Option("--summary", help="The summary (default: the alertname)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts")] = False,
) -> None:
    """Route a firing alert with these labels: print the rule, service, severity and more."""
    alert = _alert(
        labels=_pairs("--label", label),
        annotations=_pairs("--annotation", annotation),
        summary=summary,
    )
    path = config or Settings().config
    configuration = read_config(path, hint="pass --config FILE or set FIRELINE_CONFIG")
    if not configuration.routing.catch_all_service:
        fail(f"{path} has no routing section", hint="add routing.catch_all_service and rules")
        raise typer.Exit(Exit.REJECTED)
    decision = route(alert, configuration.routing)
    if as_json:
        print_json(_as_json(decision, revision=configuration.revision))
        return
    _print(decision)


def _alert(*, labels: dict[str, str], annotations: dict[str, str], summary: str | None) -> AlertIn:
    try:
        return make_alert(
            action=AlertAction.FIRE,
            labels=labels,
            annotations=annotations,
            summary=summary,
            source=SOURCE,
        )
    except Invalid as error:
        fail(
            "not a valid alert:",
            details=[f"{e.field}: {e.message}" for e in error.errors],
            hint="give at least --label alertname=NAME or --summary TEXT",
        )
        raise typer.Exit(Exit.USAGE) from error


def _pairs(option: str, texts: list[str] | None) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for text in texts or []:
        name, sep, value = text.partition("=")
        if not sep or not name:
            fail(
                f"{option} {text!r} is not NAME=VALUE", hint=f'{option} alertname="QueueSaturated"'
            )
            raise typer.Exit(Exit.USAGE)
        pairs[name] = value
    return pairs


def _as_json(decision: Decision, *, revision: str) -> dict[str, object]:
    return {
        "rule": decision.rule,
        "service": decision.service,
        "severity": decision.severity.value,
        "group_key": decision.group_key,
        "title": decision.title,
        "runbook": decision.runbook,
        "problems": list(decision.problems),
        "revision": revision,
    }


def _print(decision: Decision) -> None:
    rows = [
        ("rule", decision.rule or "catch-all (no rule matched)"),
        ("service", decision.service),
        ("severity", decision.severity.value),
        ("group key", decision.group_key),
        ("title", decision.title),
        ("runbook", decision.runbook or "none"),
    ]
    rows += [("problem", p) for p in decision.problems]
    for key, value in rows:
        style = "yellow" if key == "problem" else ""
        console.print(
            Text.assemble((f"{key:<10} ", "dim"), (value, style)), highlight=False, soft_wrap=True
        )
