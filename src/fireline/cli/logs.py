"""Logging for the long-running commands: one format, and no secrets from libraries."""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx logs every request URL at INFO; a Slack webhook URL is itself the credential, so these
# loggers speak only of warnings. Alembic's INFO lines are noise outside debugging.
QUIET = ("httpx", "httpcore", "alembic")


def configure_logging(level: str) -> None:
    """Log at `level` to stderr; keep the libraries that may print secrets at WARNING."""
    logging.basicConfig(level=level.upper(), format=FORMAT)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


class RedactQuerySecrets(logging.Filter):
    """Hide `token=` query values in access-log lines (calendar feed URLs carry a secret)."""

    SECRET = re.compile(r"([?&]token=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's arguments in place; never drop the record."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.SECRET.sub(r"\1<redacted>", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


def redact_access_log() -> None:
    """Install the redaction on uvicorn's access log (after uvicorn configured its logging)."""
    logging.getLogger("uvicorn.access").addFilter(RedactQuerySecrets())
