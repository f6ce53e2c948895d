"""Generic webhook notifier: one signed JSON POST per message, to any URL.

Settings: `url` (http(s)) and `secret` (the shared signing key; always redacted, even when the
destination forgot to mark it secret). Mark `url` secret too when it carries a token.

Body (UTF-8 JSON, keys in this order):

    {"event": "incident.triggered" | ".acknowledged" | ".resolved" | ".test",
     "idempotency_key": "...", "sent_at": "2026-01-05T09:00:00+00:00",
     "incident": {"ref", "title", "severity", "status", "service", "summary", "runbook_url",
                  "incident_url", "regions", "opened_at"},
     "recipient": "alice" | null, "step": 1 | null, "details": {...}}

Headers: `Content-Type: application/json`, `User-Agent: Fireline`, `Idempotency-Key` (stable
across retries: receivers drop repeats) and `X-Fireline-Signature` (see `signing`). The
signature and `sent_at` use the clock's time of this attempt, so a retry is signed afresh and
stays inside the receiver's replay window.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message, MessageKind
from fireline.integrations.delivery import MAX_REASON, classify, post, redact
from fireline.integrations.text import link, shorten
from fireline.integrations.webhook.signing import SIGNATURE_HEADER, sign

URL = "url"
SECRET = "secret"
USER_AGENT = "Fireline"
EVENTS = {
    MessageKind.TRIGGER: "incident.triggered",
    MessageKind.ACKNOWLEDGE: "incident.acknowledged",
    MessageKind.RESOLVE: "incident.resolved",
    MessageKind.TEST: "incident.test",
}

logger = logging.getLogger(__name__)


class Clock(Protocol):
    """What the notifier needs of `fireline.clock.Clock`: the current aware UTC instant."""

    def now(self) -> datetime:
        """Return the current instant."""
        ...


class WebhookNotifier:
    """POSTs signed JSON events to generic webhook receivers."""

    kind = ChannelKind.WEBHOOK

    def __init__(self, client: httpx.Client, clock: Clock) -> None:
        self._client = client
        self._clock = clock

    def send(self, message: Message, destination: Destination) -> Delivery:
        """POST one signed event to the destination's URL; never raises."""
        destination = dataclasses.replace(destination, secrets=destination.secrets | {SECRET})
        url = destination.settings.get(URL, "").strip()
        secret = destination.settings.get(SECRET, "")
        if link(url) is None:
            return Delivery.failed(
                f"webhook destination {destination.name!r} has no usable url "
                "(an absolute http(s) URL)"
            )
        if not secret:
            return Delivery.failed(f"webhook destination {destination.name!r} has no secret")
        key = message.idempotency_key
        if not (key and key.isascii() and key.isprintable()):
            return Delivery.failed(f"idempotency key {key!r} cannot be an HTTP header")
        now = self._clock.now()
        body = encode(build_event(message, sent_at=now))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": message.idempotency_key,
            SIGNATURE_HEADER: sign(secret=secret, timestamp=int(now.timestamp()), body=body),
        }
        try:
            answer = post(self._client, url, destination=destination, content=body, headers=headers)
        except (httpx.InvalidURL, ValueError) as error:  # a URL or key httpx cannot encode
            return _unsendable(error, destination)
        delivery = (
            answer if isinstance(answer, Delivery) else classify(answer, destination=destination)
        )
        logger.log(
            logging.DEBUG if delivery.outcome is Outcome.SENT else logging.WARNING,
            "webhook %s %s for %s: %s %s",
            EVENTS[message.kind],
            message.incident.ref,
            destination.name,
            delivery.outcome,
            delivery.reason,
        )
        return delivery


def build_event(message: Message, *, sent_at: datetime) -> dict[str, Any]:
    """Return the event body for `message`, stamped with `sent_at` (aware; written in UTC)."""
    incident = message.incident
    return {
        "event": EVENTS[message.kind],
        "idempotency_key": message.idempotency_key,
        "sent_at": _instant(sent_at),
        "incident": {
            "ref": incident.ref,
            "title": incident.title,
            "severity": incident.severity.value,
            "status": incident.status,
            "service": incident.service,
            "summary": incident.summary,
            "runbook_url": incident.runbook_url,
            "incident_url": incident.incident_url,
            "regions": list(incident.regions),
            "opened_at": None if incident.opened_at is None else _instant(incident.opened_at),
        },
        "recipient": message.recipient,
        "step": message.step,
        "details": dict(message.details),
    }


def encode(event: dict[str, Any]) -> bytes:
    """Serialize an event exactly once: these bytes are both signed and sent."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def _unsendable(error: Exception, destination: Destination) -> Delivery:
    """Fail a request httpx would not build (a URL or header it cannot encode): no retry helps."""
    reason = f"cannot send to {destination.name!r}: {type(error).__name__}: {error}"
    return Delivery.failed(shorten(redact(reason, destination.secret_values()), MAX_REASON))
