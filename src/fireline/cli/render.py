"""Rich renderings of incidents and timelines.

Text from users and the server (titles, notes, names) goes in as `Text`, never as markup, so a
title such as "disk full [/var]" prints as written instead of breaking the output.
"""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from fireline.cli.output import console

_STATUS_STYLE = {
    "triggered": "bold red",
    "acknowledged": "yellow",
    "mitigated": "cyan",
    "resolved": "green",
}
_MAX_REGIONS_WIDTH = 24
_MIN_TITLE_WIDTH = 20
_STAMPS = ("created_at", "acknowledged_at", "mitigated_at", "resolved_at", "reopened_at")


def _when(value: str | None) -> str:
    """Return an API instant as `2026-01-05 09:00:00` (UTC)."""
    return "-" if not value else value.replace("T", " ")[:19]


def _minute(value: str) -> str:
    return _when(value)[:16]


def _status(status: str) -> Text:
    return Text(status, style=_STATUS_STYLE.get(status, ""))


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def incident_table(items: list[dict[str, Any]]) -> None:
    """Print incidents one per line, the title cut short to fit; say so when there are none."""
    if not items:
        console.print("no incidents match", style="dim")
        return
    columns = {
        "ref": [i["ref"] for i in items],
        "sev": [i["severity"] for i in items],
        "status": [i["status"] for i in items],
        "service": [i["service"] for i in items],
        "regions": [",".join(i["regions"]) for i in items],
        "created": [_minute(i["created_at"]) for i in items],
    }
    widths = {name: max(len(name), *map(len, cells)) for name, cells in columns.items()}
    widths["regions"] = min(widths["regions"], _MAX_REGIONS_WIDTH)
    longest_title = max(len(i["title"]) for i in items)
    if _title_room(widths) < min(longest_title, _MIN_TITLE_WIDTH):
        # A narrow terminal: the title matters more than the regions, which `show` prints.
        del columns["regions"], widths["regions"]
    # Every cell keeps to one line, like `kubectl get`: the title takes the width that is
    # left and ends in "…" when longer; `show` and `--json` give it whole.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for name in columns:
        if name == "created":
            table.add_column("title", no_wrap=True, max_width=max(_title_room(widths), 8))
        table.add_column(name, width=widths[name], no_wrap=True, overflow="ellipsis")
    for n, incident in enumerate(items):
        cells = [Text(cells[n]) for cells in columns.values()]
        cells[2].stylize(_STATUS_STYLE.get(incident["status"], ""))
        cells.insert(-1, Text(incident["title"], overflow="ellipsis"))
        table.add_row(*cells)
    console.print(table)


def _title_room(widths: dict[str, int]) -> int:
    """Return the width left for the title: the console's less the columns and 2-space gaps."""
    return console.width - sum(widths.values()) - 2 * len(widths)


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
    """Print timeline events, oldest first; only the data column wraps."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for name in ("seq", "at", "actor", "kind"):
        table.add_column(name, no_wrap=True)
    table.add_column("data", ratio=1, min_width=20)
    for e in events:
        data = ", ".join(f"{k}={_value(v)}" for k, v in e["data"].items())
        table.add_row(str(e["seq"]), _when(e["at"]), Text(e["actor"]), Text(e["kind"]), Text(data))
    console.print(table)
