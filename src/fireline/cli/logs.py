"""Logging for the long-running commands: one format, and no secrets from libraries."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx logs every request URL at INFO; a Slack webhook URL is itself the credential, so these
# loggers speak only of warnings. Alembic's INFO lines are noise outside debugging.
QUIET = ("httpx", "httpcore", "alembic")


def configure_logging(level: str) -> None:
    """Log at `level` to stderr; keep the libraries that may print secrets at WARNING."""
    logging.basicConfig(level=level.upper(), format=FORMAT)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
