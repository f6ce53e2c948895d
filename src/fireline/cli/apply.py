"""`fireline apply`: check a config file (`--check`, offline) or load it into the database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from fireline.cli.context import admin_container
from fireline.cli.output import Exit, console, errors, fail
from fireline.domain.configuration import Configuration
from fireline.services.apply import apply_file
from fireline.services.configfile import ConfigInvalid, ConfigProblem, ConfigUnreadable, load_config


def apply(
    file: Annotated[
        Path, typer.Argument(help="The config file (fireline.yaml)", show_default=False)
    ],
    *,
    check: Annotated[
        bool, typer.Option("--check", help="Only check the file, offline; exit 1 on problems")
    ] = False,
) -> None:
    """Check a config file and load its services into the database (FIRELINE_DATABASE_URL)."""
    configuration = read_config(file, hint="pass the path of your fireline.yaml")
    if check:
        _summary(file, configuration)
        return
    with admin_container() as c:
        applied = apply_file(
            c.uow,
            path=file,
            configuration=configuration,
            applied_by="fireline apply",
            now=c.clock.now(),
        )
    state = "now live" if applied.new_revision else "already live"
    console.print(
        f"applied {escape(str(file))} at revision [bold]{escape(configuration.revision)}[/] "
        f"({state}): {len(configuration.services)} services",
        soft_wrap=True,
    )
    console.print(
        "running servers switch to it within FIRELINE_CONFIG_RELOAD_INTERVAL_S (1 s), "
        "no restart needed",
        highlight=False,
        soft_wrap=True,
    )


def read_config(file: Path, *, hint: str) -> Configuration:
    """Load `file`, or print every problem (`FILE:LINE: path: message`) and exit.

    Exits 1 when the file has problems and 2 when it cannot be read.
    """
    try:
        return load_config(file)
    except ConfigUnreadable as error:
        fail(error.detail, hint=hint)
        raise typer.Exit(Exit.USAGE) from error
    except ConfigInvalid as invalid:
        print_problems(file, invalid.problems)
        raise typer.Exit(Exit.REJECTED) from invalid


def print_problems(file: Path, problems: Sequence[ConfigProblem]) -> None:
    """Print each problem on a line of its own, as compilers do, so editors can jump to it."""
    for p in problems:
        where = f"{escape(p.path)}: " if p.path else ""
        errors.print(
            f"[bold]{escape(str(file))}:{p.line}:[/] {where}{escape(p.message)}",
            highlight=False,
            soft_wrap=True,
        )
    errors.print(f"[bold red]{len(problems)} problem(s)[/] in {escape(str(file))}", soft_wrap=True)


def _summary(file: Path, configuration: Configuration) -> None:
    routing, oncall = configuration.routing, configuration.oncall
    catch_all = routing.catch_all_service or "none (no routing section)"
    lines = [
        f"{file}: OK, revision {configuration.revision}",
        _counted("services", [s.name for s in configuration.services]),
        _counted("integrations", [f"{i.name} ({i.kind})" for i in configuration.integrations]),
        _counted("rules", [r.name for r in routing.rules]),
        f"  {'catch-all':<13} {catch_all}",
        _counted("heartbeats", [h.name for h in configuration.heartbeats]),
        _counted("maintenance", [w.service for w in configuration.maintenance]),
        _counted("channels", [f"{c.name} ({c.kind})" for c in oncall.channels]),
        _counted("users", [u.name for u in oncall.users]),
        _counted("schedules", [s.name for s in oncall.schedules]),
        _counted("policies", [p.name for p in oncall.policies]),
    ]
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _counted(what: str, names: list[str]) -> str:
    return f"  {what:<13} {len(names)}" + (f": {', '.join(names)}" if names else "")
