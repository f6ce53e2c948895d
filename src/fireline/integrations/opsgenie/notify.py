"""Opsgenie notifier: create, acknowledge and close one alert per incident, keyed by alias.

The incident ref is the alert's `alias` (Opsgenie's dedup key), so TRIGGER creates the alert
(or bumps its count while it is open), ACKNOWLEDGE and RESOLVE call
`/v2/alerts/{alias}/acknowledge|close?identifierType=alias`. TEST creates a P5 alert with alias
`fireline-test-<idempotency_key>`, apart from any real incident's alert.

Every field is bounded to the limits in `shared/contracts/opsgenie-alert-api.md` before sending
(message 130, alias 512, description 15,000, entity 512, tags 20 x 50, details 8,000 characters
counting keys and values, responders 50). Opsgenie answers 202 before it does the work, so
after a 202 the notifier polls the request's status (`request_status.py`, at most about 2 s):
a create Opsgenie then reports as failed is a failed delivery (dead letter, fallback channel);
an acknowledge or close of an alert that no longer exists there is sent (nothing was left to
do, and the reason says so); a status still unknown after the polls leaves the delivery sent
("accepted"), since Opsgenie did take it. `provider_ref` is the `requestId`.

Settings: `api_key` (sent as `Authorization: GenieKey <key>`; always redacted, even when the
destination forgot to mark it secret), `url` (default `DEFAULT_URL`; EU accounts use
`https://api.eu.opsgenie.com`), `responders` (optional comma-separated team names).

May import `fireline.domain`, `fireline.integrations` helpers and httpx only.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from fireline.domain.incidents.severity import Severity
from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import IncidentBrief, Message, MessageKind
from fireline.integrations.delivery import classify, post
from fireline.integrations.opsgenie.request_status import (
    POLL_DELAYS,
    RequestStatus,
    poll_request_status,
)

DEFAULT_URL = "https://api.opsgenie.com"
API_KEY = "api_key"
SOURCE = "Fireline"
TEST_PREFIX = "fireline-test-"
MAX_MESSAGE = 130
MAX_ALIAS = 512
MAX_DESCRIPTION = 15_000
MAX_ENTITY = 512
MAX_TAG = 50
MAX_TAGS = 20
MAX_DETAILS = 8_000  # characters of all keys and values together
MAX_RESPONDERS = 50
PRIORITIES = {
    Severity.SEV1: "P1",
    Severity.SEV2: "P2",
    Severity.SEV3: "P3",
    Severity.SEV4: "P4",
    Severity.SEV5: "P5",
}
ACTIONS = {MessageKind.ACKNOWLEDGE: "acknowledge", MessageKind.RESOLVE: "close"}
NOTES = {MessageKind.ACKNOWLEDGE: "acknowledged", MessageKind.RESOLVE: "resolved"}
NO_SUCH_ALERT = "Alert does not exist"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """One Alert API call: the path under the base URL, its query and its JSON body."""

    path: str
    params: dict[str, str]
    body: dict[str, Any]


class OpsgenieNotifier:
    """Creates, acknowledges and closes Opsgenie alerts through the Alert API v2."""

    kind = ChannelKind.OPSGENIE

    def __init__(
        self, client: httpx.Client, *, status_poll_delays: Sequence[float] = POLL_DELAYS
    ) -> None:
        self._client = client
        self._delays = status_poll_delays

    def send(self, message: Message, destination: Destination) -> Delivery:
        """Make one Alert API call for `message`; return sent (with requestId), retry or failed."""
        destination = dataclasses.replace(destination, secrets=destination.secrets | {API_KEY})
        api_key = destination.settings.get(API_KEY, "").strip()
        if not api_key:
            return Delivery.failed(f"Opsgenie destination {destination.name!r} has no api_key")
        request = build_request(message, responders=destination.settings.get("responders", ""))
        base = (destination.settings.get("url") or DEFAULT_URL).rstrip("/")
        headers = {"Authorization": f"GenieKey {api_key}"}
        answer = post(
            self._client,
            base + request.path,
            destination=destination,
            params=request.params,
            json=request.body,
            headers=headers,
        )
        if isinstance(answer, Delivery):
            delivery = answer
        else:
            ref = _request_id(answer)
            delivery = classify(answer, destination=destination, provider_ref=ref)
            if delivery.outcome is Outcome.SENT and ref is not None:
                status = poll_request_status(
                    self._client, base, ref, headers=headers, delays=self._delays
                )
                delivery = _checked(delivery, message, status)
        logger.log(
            logging.DEBUG if delivery.outcome is Outcome.SENT else logging.WARNING,
            "opsgenie %s for %s: %s %s",
            request.path,
            destination.name,
            delivery.outcome,
            delivery.reason,
        )
        return delivery


def _checked(accepted: Delivery, message: Message, status: RequestStatus) -> Delivery:
    """Turn an accepted delivery into what Opsgenie's request status says happened."""
    if not status.processed:
        return dataclasses.replace(accepted, reason=f"accepted; {status.status}")
    if status.succeeded:
        return dataclasses.replace(accepted, reason=status.status)
    if message.kind in ACTIONS and status.status == NO_SUCH_ALERT:
        # Closed or deleted in Opsgenie meanwhile: there is nothing left to acknowledge or close.
        return dataclasses.replace(accepted, reason=f"nothing to do: {status.status}")
    return Delivery.failed(f"Opsgenie accepted the request but reports: {status.status}")


def build_request(message: Message, *, responders: str = "") -> AlertRequest:
    """Build the create call for TRIGGER/TEST, or the acknowledge/close call by alias."""
    action = ACTIONS.get(message.kind)
    if action is None:
        return AlertRequest(path="/v2/alerts", params={}, body=_create(message, responders))
    ref = message.incident.ref
    return AlertRequest(
        path=f"/v2/alerts/{quote(alias(message), safe='')}/{action}",
        params={"identifierType": "alias"},
        body={"source": SOURCE, "note": f"{ref} was {NOTES[message.kind]} in Fireline."},
    )


def alias(message: Message) -> str:
    """Return the incident ref, or `fireline-test-<idempotency_key>` for a TEST message."""
    if message.kind is MessageKind.TEST:
        return (TEST_PREFIX + message.idempotency_key)[:MAX_ALIAS]
    return message.incident.ref[:MAX_ALIAS]


def team_responders(names: str) -> list[dict[str, str]]:
    """Turn "sre, dba" into Opsgenie team recipients (blank and repeated names dropped)."""
    unique = dict.fromkeys(name.strip() for name in names.split(",") if name.strip())
    return [{"type": "team", "name": name} for name in list(unique)[:MAX_RESPONDERS]]


def _create(message: Message, responders: str) -> dict[str, Any]:
    incident = message.incident
    test = message.kind is MessageKind.TEST
    prefix = "[TEST] Fireline test notification:" if test else f"[{incident.severity}]"
    body: dict[str, Any] = {
        "message": _truncate(f"{prefix} {incident.title}", MAX_MESSAGE),
        "alias": alias(message),
        "description": _truncate(_description(incident), MAX_DESCRIPTION),
        "priority": "P5" if test else PRIORITIES[incident.severity],
        "source": SOURCE,
        "tags": _tags(["fireline", str(incident.severity), incident.service, *incident.regions]),
        "details": _details(_detail_items(message)),
    }
    if incident.service.strip():
        body["entity"] = _truncate(incident.service, MAX_ENTITY)
    teams = team_responders(responders)
    if teams:
        body["responders"] = teams
    return body


def _description(incident: IncidentBrief) -> str:
    lines = [incident.summary or incident.title, ""]
    facts = (
        ("Incident", incident.ref),
        ("Status", incident.status),
        ("Service", incident.service),
        ("Regions", ", ".join(incident.regions)),
        ("Runbook", incident.runbook_url),
        ("Fireline", incident.incident_url),
    )
    lines.extend(f"{name}: {value}" for name, value in facts if value)
    return "\n".join(lines)


def _tags(candidates: Iterable[str]) -> list[str]:
    tags = dict.fromkeys(_truncate(tag.strip(), MAX_TAG) for tag in candidates if tag.strip())
    return list(tags)[:MAX_TAGS]


def _detail_items(message: Message) -> dict[str, str]:
    incident = message.incident
    ours = {
        "ref": incident.ref,
        "status": incident.status,
        "severity": str(incident.severity),
        "service": incident.service,
        "regions": ", ".join(incident.regions),
        "incident_url": incident.incident_url or "",
        "runbook_url": incident.runbook_url or "",
        "opened_at": incident.opened_at.isoformat() if incident.opened_at else "",
        "step": "" if message.step is None else str(message.step),
        "recipient": message.recipient or "",
    }
    extra = {key: value for key, value in message.details.items() if key not in ours}
    return {key: value for key, value in (ours | extra).items() if value}


def _details(items: Mapping[str, str]) -> dict[str, str]:
    """Keep entries in order while keys and values fit in MAX_DETAILS; cut the overflowing one."""
    details: dict[str, str] = {}
    room = MAX_DETAILS
    for key, value in items.items():
        if len(key) >= room:
            break
        details[key] = _truncate(value, room - len(key))
        room -= len(key) + len(details[key])
    return details


def _request_id(response: httpx.Response) -> str | None:
    """Read `requestId` from a reply body; None when the body is not the documented shape."""
    try:
        body = response.json()
    except ValueError:
        return None
    found = body.get("requestId") if isinstance(body, dict) else None
    return found if isinstance(found, str) and found else None


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
