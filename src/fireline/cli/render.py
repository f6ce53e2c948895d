"""Rich renderings of incidents and timelines.

Text from users and the server (titles, notes, names) goes in as `Text`, never as markup, so a
title such as "disk full [/var]" prints as written instead of breaking the output.
"""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table
from rich.text import Text

from fireline.cli.output import console

_STATUS_STYLE = {
    "triggered": "bold red",
    "acknowledged": "yellow",
    "mitigated": "cyan",
    "resolved": "green",
}
_STAMPS = ("created_at", "acknowledged_at", "mitigated_at", "resolved_at", "reopened_at")


def _when(value: str | None) -> str:
    return "-" if not value else value.replace("T", " ")[:19]


def _status(status: str) -> Text:
    return Text(status, style=_STATUS_STYLE.get(status, ""))


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def incident_table(items: list[dict[str, Any]]) -> None:
    """Print incidents as a table, or say that there are none."""
    if not items:
        console.print("no incidents match", style="dim")
        return
    table = Table("ref", "sev", "status", "service", "regions", "title", "created")
    table.columns[0].no_wrap = True
    for i in items:
        table.add_row(
            Text(i["ref"]),
            Text(i["severity"]),
            _status(i["status"]),
            Text(i["service"]),
            Text(",".join(i["regions"])),
            Text(i["title"]),
            Text(_when(i["created_at"])),
        )
    console.print(table)


def incident_detail(incident: dict[str, Any]) -> None:
    """Print one incident's fields, roles and instants, one per line."""
    roles = incident["roles"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    rows: list[tuple[str, Text]] = [
        ("status", _status(incident["status"]) + Text(f" (version {incident['version']})")),
        ("severity", Text(incident["severity"])),
        ("service", Text(incident["service"])),
        ("regions", Text(", ".join(incident["regions"]) or "-")),
        ("commander", Text(roles["commander"] or "-")),
        ("communications", Text(roles["communications_lead"] or "-")),
        ("scribe", Text(roles["scribe"] or "-")),
        ("responders", Text(", ".join(roles["responders"]) or "-")),
    ]
    rows += [(s[:-3], Text(_when(incident[s]))) for s in _STAMPS if incident[s]]
    for label, value in rows:
        grid.add_row(label, value)
    console.print(Text.assemble((incident["ref"], "bold"), " ", incident["title"]))
    console.print(grid)


def timeline_table(events: list[dict[str, Any]]) -> None:
    """Print timeline events, oldest first."""
    table = Table("seq", "at", "actor", "kind", "data")
    for e in events:
        data = ", ".join(f"{k}={_value(v)}" for k, v in e["data"].items())
        table.add_row(str(e["seq"]), _when(e["at"]), Text(e["actor"]), Text(e["kind"]), Text(data))
    console.print(table)
