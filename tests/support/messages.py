"""What the notification-channel tests send, and the check that no secret got out.

    message = make_message(MessageKind.ACKNOWLEDGE, status="acknowledged", details={"actor": "bob"})
    delivery = notifier.send(message, destination)
    assert_no_secret(delivery, caplog, SECRET)

`make_message()` pages about `BRIEF` ("[SEV2] INC-42 triggered: Queue saturated (job-queue)")
unless given another `brief`; keyword arguments named like an `IncidentBrief` field change the
brief, the others (`idempotency_key`, `created_at`, `recipient`, `step`, `details`) the message.
A channel test that pages about something else makes its own brief once with `make_brief()`.
`DOC_QUEUE` is the fuller incident the PagerDuty and Opsgenie tests page about.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from fireline.domain.incidents.severity import Severity
from fireline.domain.notify.delivery import Delivery
from fireline.domain.notify.message import IncidentBrief, Message, MessageKind

CREATED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
INCIDENT_URL = "https://fireline.example/incidents/INC-42"

BRIEF = IncidentBrief(
    ref="INC-42",
    title="Queue saturated",
    severity=Severity.SEV2,
    status="triggered",
    service="job-queue",
    summary="Depth 92% of capacity.",
    runbook_url="https://runbooks.example/queue",
    incident_url=INCIDENT_URL,
    regions=("eu-west-1",),
    opened_at=CREATED_AT,
)

DOC_QUEUE_OPENED_AT = datetime(2026, 12, 4, 20, 18, 51, 494000, tzinfo=UTC)
DOC_QUEUE_CREATED_AT = datetime(2026, 12, 4, 20, 19, 2, tzinfo=UTC)
DOC_QUEUE_RUNBOOK = "https://runbooks.doc-platform.example/queue-saturation"
DOC_QUEUE = replace(
    BRIEF,
    title="Document queue saturated in eu-west",
    service="queue",
    summary="Queue depth is 92% of capacity for 10 minutes.",
    runbook_url=DOC_QUEUE_RUNBOOK,
    regions=("eu-west", "eu-central"),
    opened_at=DOC_QUEUE_OPENED_AT,
)


def make_brief(base: IncidentBrief = BRIEF, **overrides: Any) -> IncidentBrief:
    """Return `base` (the Queue saturated incident) with `overrides` applied."""
    return replace(base, **overrides)


def make_message(
    kind: MessageKind = MessageKind.TRIGGER,
    *,
    brief: IncidentBrief = BRIEF,
    idempotency_key: str = "outbox-7",
    created_at: datetime = CREATED_AT,
    recipient: str | None = "alice",
    step: int | None = 1,
    details: dict[str, str] | None = None,
    **overrides: Any,
) -> Message:
    """Return a message of `kind` about `brief` changed by `overrides` (IncidentBrief fields)."""
    return Message(
        kind=kind,
        incident=replace(brief, **overrides),
        idempotency_key=idempotency_key,
        created_at=created_at,
        recipient=recipient,
        step=step,
        details={} if details is None else details,
    )


def closed_port() -> int:
    """Return a loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def closed_port_url(path: str = "") -> str:
    """Return an http URL on a loopback port nothing listens on, ending in `path`."""
    return f"http://127.0.0.1:{closed_port()}{path}"


def assert_no_secret(
    delivery: Delivery,
    caplog: pytest.LogCaptureFixture,
    secret: str,
    *,
    except_loggers: Collection[str] = (),
) -> None:
    """Assert that `secret` is in neither the delivery's reason nor any captured log record.

    A record is held to this in its formatted text (message and any traceback) and its raw
    arguments; records of `except_loggers` (libraries the application keeps quiet, or the fake
    server's own) are not. The test must capture the levels it cares about (`caplog.set_level`).
    """
    assert secret not in delivery.reason
    leaked = [
        _describe(record)
        for record in caplog.records
        if record.name not in except_loggers
        and (secret in caplog.handler.format(record) or secret in str(record.args))
    ]
    assert not leaked, f"the secret is in log records: {leaked}"


def _describe(record: logging.LogRecord) -> str:
    return f"{record.name} {record.levelname} from {record.pathname}:{record.lineno}"
