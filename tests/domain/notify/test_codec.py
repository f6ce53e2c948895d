"""A message survives the trip through the outbox's JSON column unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fireline.domain.incidents.severity import Severity
from fireline.domain.notify.codec import message_from_dict, message_to_dict
from fireline.domain.notify.message import IncidentBrief, Message, MessageKind

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_message_round_trips_through_json() -> None:
    message = Message(
        MessageKind.ACKNOWLEDGE,
        IncidentBrief(
            ref="INC-7",
            title="Uploads failing",
            severity=Severity.SEV1,
            status="acknowledged",
            service="uploads",
            summary="5% of uploads fail",
            runbook_url="https://rb/u",
            incident_url="https://fl/INC-7",
            regions=("eu-west-1", "us-east-1"),
            opened_at=NOW,
        ),
        idempotency_key="INC-7:acknowledge:v2:channel:pd",
        created_at=NOW,
        recipient="anna",
        step=1,
        details={"actor": "anna"},
    )
    assert message_from_dict(json.loads(json.dumps(message_to_dict(message)))) == message
