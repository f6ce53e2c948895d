"""The access log never shows a calendar feed token."""

from __future__ import annotations

import logging

from fireline.cli.logs import RedactQuerySecrets


def test_feed_tokens_are_redacted_from_access_log_lines() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/api/v1/users/anna/oncall.ics?token=flcal_s3cret&x=1", "1.1", 200),
        None,
    )
    assert RedactQuerySecrets().filter(record)
    line = record.getMessage()
    assert "flcal_s3cret" not in line
    assert "token=<redacted>&x=1" in line
