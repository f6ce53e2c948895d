"""Printing for people (Rich) and scripts (--json), and the exit codes scripts can trust."""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Any

from rich.console import Console

console = Console()
errors = Console(stderr=True)


class Exit(IntEnum):
    """Exit codes of every Fireline command."""

    OK = 0
    REJECTED = 1  # the request was understood and refused: conflict, invalid input, audit failure
    USAGE = 2  # bad command-line usage
    AUTH = 3  # no token, a bad token, or a role too weak
    NOT_FOUND = 4  # the incident, service or token does not exist
    UNAVAILABLE = 5  # the server or database cannot be reached, or failed


def print_json(data: Any) -> None:
    """Write `data` as JSON on standard output, for scripts."""
    console.file.write(json.dumps(data, indent=2, default=str) + "\n")
    console.file.flush()


def fail(message: str, *, hint: str | None = None) -> None:
    """Print an error (and what to do next) on standard error."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    if hint:
        errors.print(f"[dim]hint:[/] {hint}", highlight=False)
