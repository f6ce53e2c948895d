"""PagerDuty Events API v2 notifier: mirror a Fireline incident onto one PagerDuty alert.

The incident ref is the `dedup_key`, so TRIGGER opens (or adds to) the alert and ACKNOWLEDGE /
RESOLVE move the same alert; a repeated TRIGGER after a retry only adds a log entry. TEST sends
an `info` trigger with dedup_key `fireline-test-<idempotency_key>`, so a test never touches a
real incident's alert; the test alert stays open in PagerDuty until someone resolves it there.

Settings: `routing_key` (the 32-character integration key; always redacted, even when the
destination forgot to mark it secret) and `url` (default `DEFAULT_URL`; EU accounts use
`https://events.eu.pagerduty.com/v2/enqueue`; tests point it at a loopback fake).

Why not the official `pagerduty` package (a dev dependency only): it brings its own HTTP stack
(`httpx2`) instead of the shared client; it refuses non-https base URLs, so it cannot talk to a
loopback fake; it retries by itself (429 without limit by default, 5xx and network errors
several times), while Fireline's engine owns retries and backoff through the outbox; and 7.2.0's
`event_timestamp` crashes (`datetime.now` called on the class). One JSON POST following
`shared/contracts/pagerduty-events-v2.md` is smaller than the workarounds.

May import `fireline.domain`, `fireline.integrations` helpers and httpx only.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC
from typing import Any

import httpx

from fireline.domain.incidents.severity import Severity
from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import IncidentBrief, Message, MessageKind
from fireline.integrations.delivery import classify, post

DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue"
ROUTING_KEY = "routing_key"
CLIENT = "Fireline"
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
TEST_PREFIX = "fireline-test-"
SEVERITIES = {
    Severity.SEV1: "critical",
    Severity.SEV2: "error",
    Severity.SEV3: "warning",
    Severity.SEV4: "info",
    Severity.SEV5: "info",
}
ACTIONS = {
    MessageKind.TRIGGER: "trigger",
    MessageKind.ACKNOWLEDGE: "acknowledge",
    MessageKind.RESOLVE: "resolve",
    MessageKind.TEST: "trigger",
}

logger = logging.getLogger(__name__)


class PagerDutyNotifier:
    """Sends trigger / acknowledge / resolve events to PagerDuty's Events API v2."""

    kind = ChannelKind.PAGERDUTY

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def send(self, message: Message, destination: Destination) -> Delivery:
        """POST one event for `message`; return sent (with the dedup_key), retry or failed."""
        destination = dataclasses.replace(destination, secrets=destination.secrets | {ROUTING_KEY})
        routing_key = destination.settings.get(ROUTING_KEY, "").strip()
        if not routing_key:
            return Delivery.failed(f"PagerDuty destination {destination.name!r} has no routing_key")
        event = build_event(message, routing_key=routing_key)
        url = destination.settings.get("url") or DEFAULT_URL
        answer = post(self._client, url, destination=destination, json=event)
        if isinstance(answer, Delivery):
            delivery = answer
        else:
            ref = _dedup_key_of(answer) or event["dedup_key"]
            delivery = classify(answer, destination=destination, provider_ref=ref)
        logger.log(
            logging.DEBUG if delivery.outcome is Outcome.SENT else logging.WARNING,
            "pagerduty %s %s for %s: %s %s",
            event["event_action"],
            event["dedup_key"],
            destination.name,
            delivery.outcome,
            delivery.reason,
        )
        return delivery


def build_event(message: Message, *, routing_key: str) -> dict[str, Any]:
    """Build the Events v2 body: a full trigger, or a bare acknowledge / resolve."""
    incident = message.incident
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": ACTIONS[message.kind],
        "dedup_key": dedup_key(message),
    }
    if message.kind in (MessageKind.ACKNOWLEDGE, MessageKind.RESOLVE):
        return event
    event["payload"] = _payload(message)
    links = [
        {"href": href, "text": text}
        for href, text in (
            (incident.runbook_url, "Runbook"),
            (incident.incident_url, f"{incident.ref} in Fireline"),
        )
        if href
    ]
    if links:
        event["links"] = links
    event["client"] = CLIENT
    if incident.incident_url:
        event["client_url"] = incident.incident_url
    return event


def dedup_key(message: Message) -> str:
    """Return the incident ref, or `fireline-test-<idempotency_key>` for a TEST message."""
    if message.kind is MessageKind.TEST:
        return (TEST_PREFIX + message.idempotency_key)[:MAX_DEDUP_KEY]
    return message.incident.ref


def _payload(message: Message) -> dict[str, Any]:
    incident = message.incident
    test = message.kind is MessageKind.TEST
    prefix = "[TEST] Fireline test notification:" if test else f"[{incident.severity}]"
    opened_at = incident.opened_at or message.created_at
    payload: dict[str, Any] = {
        "summary": _truncate(f"{prefix} {incident.title}", MAX_SUMMARY),
        "source": incident.service.strip() or CLIENT,
        "severity": "info" if test else SEVERITIES[incident.severity],
        "timestamp": opened_at.astimezone(UTC).isoformat(timespec="milliseconds"),
    }
    # `group` is PagerDuty's "logical grouping" (e.g. prod-datapipe), which Fireline's regions
    # are; an incident has no component or class, so those stay out rather than being guessed.
    if incident.regions:
        payload["group"] = ", ".join(incident.regions)
    payload["custom_details"] = _custom_details(message, incident)
    return payload


def _custom_details(message: Message, incident: IncidentBrief) -> dict[str, Any]:
    details: dict[str, Any] = {**message.details}
    details.update(
        {
            "ref": incident.ref,
            "status": incident.status,
            "severity": str(incident.severity),
            "service": incident.service,
            "regions": list(incident.regions),
        }
    )
    optional = {
        "summary": incident.summary,
        "incident_url": incident.incident_url,
        "runbook_url": incident.runbook_url,
        "step": message.step,
        "recipient": message.recipient,
    }
    details.update({name: value for name, value in optional.items() if value not in (None, "")})
    return details


def _dedup_key_of(response: httpx.Response) -> str | None:
    """Read `dedup_key` from a 202 body; None when the body is not the documented shape."""
    try:
        body = response.json()
    except ValueError:
        return None
    key = body.get("dedup_key") if isinstance(body, dict) else None
    return key if isinstance(key, str) and key else None


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
