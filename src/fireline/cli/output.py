"""Printing for people (Rich) and scripts (--json), and the exit codes scripts can trust."""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import IntEnum
from typing import Any

from rich.console import Console
from rich.markup import escape

# Both consoles look up sys.stdout / sys.stderr and the terminal's width at each print.
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


def print_lines(lines: Iterable[str]) -> None:
    """Write plain lines on standard output: never wrapped or styled, so scripts can read them."""
    console.file.writelines(f"{line}\n" for line in lines)
    console.file.flush()


def fail(message: str, *, hint: str | None = None, details: Iterable[str] = ()) -> None:
    """Print an error, its details (one per line) and what to do next on standard error.

    The message is escaped because it often quotes user input or server text ("[/var] full"
    must not be read as Rich markup), and soft-wrapped so that the terminal, not Rich, breaks
    long lines: a URL or an ID in an error stays whole for copying and for logs.
    """
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    for line in details:
        errors.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    if hint:
        errors.print(f"[dim]hint:[/] {escape(hint)}", highlight=False, soft_wrap=True)
