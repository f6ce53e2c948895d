"""The listening socket a command serves on, bound before it says where it serves."""

from __future__ import annotations

import socket

import typer

from fireline.cli.output import Exit, fail


def listen(host: str, port: int, *, port_hint: str = "--port") -> socket.socket:
    """Bind and listen on `host:port` (0: any free port), or fail saying what to do instead.

    Binding first means the port printed is the one listened on, and listening at once means
    connections made after the URL is printed wait in the backlog until the server accepts,
    instead of being refused.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)
    except OSError as error:
        listener.close()
        fail(
            f"cannot listen on {host}:{port}: {error.strerror or error}",
            hint=f"pick another {port_hint}, or stop what is using it",
        )
        raise typer.Exit(Exit.UNAVAILABLE) from error
    listener.set_inheritable(True)
    return listener
