"""Rich renderings of incidents, timelines and job lists."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from fireline.cli.output import console

_STATUS_STYLE = {
    "triggered": "bold red",
    "acknowledged": "yellow",
    "mitigated": "cyan",
    "resolved": "green",
}


def _when(value: str | None) -> str:
    return "-" if not value else value.replace("T", " ")[:19]


def incident_table(items: list[dict[str, Any]]) -> None:
    """Print incidents as a table."""
    table = Table("ref", "sev", "status", "service", "regions", "title", "created")
    for i in items:
        style = _STATUS_STYLE.get(i["status"], "")
        table.add_row(
            i["ref"],
            i["severity"],
            f"[{style}]{i['status']}[/]",
            i["service"],
            ",".join(i["regions"]),
            i["title"],
            _when(i["created_at"]),
        )
    console.print(table)


def incident_detail(incident: dict[str, Any]) -> None:
    """Print one incident's fields and roles."""
    style = _STATUS_STYLE.get(incident["status"], "")
    console.print(
        f"[bold]{incident['ref']}[/] {incident['title']}\n"
        f"  severity {incident['severity']}  status [{style}]{incident['status']}[/]  "
        f"service {incident['service']}  regions {','.join(incident['regions']) or '-'}  "
        f"version {incident['version']}",
        highlight=False,
    )
    roles = incident["roles"]
    console.print(
        f"  commander {roles['commander'] or '-'}"
        f"  communications {roles['communications_lead'] or '-'}"
        f"  scribe {roles['scribe'] or '-'}  responders {', '.join(roles['responders']) or '-'}",
        highlight=False,
    )
    stamps = ("created_at", "acknowledged_at", "mitigated_at", "resolved_at", "reopened_at")
    console.print("  " + "  ".join(f"{s[:-3]} {_when(incident[s])}" for s in stamps if incident[s]))


def timeline_table(events: list[dict[str, Any]]) -> None:
    """Print timeline events."""
    table = Table("seq", "at", "actor", "kind", "data")
    for e in events:
        data = ", ".join(f"{k}={v}" for k, v in e["data"].items())
        table.add_row(str(e["seq"]), _when(e["at"]), e["actor"], e["kind"], data)
    console.print(table)
