"""A fake PagerDuty: the Events API v2 `POST /v2/enqueue`, and a signer for Webhooks v3 bodies.

Every rule of `shared/contracts/pagerduty-events-v2.md` §2 and §7 is checked: JSON content type,
body size (512 KB), `routing_key` of 32 characters, the `event_action` values, `dedup_key`
(required to acknowledge or resolve, at most 255), on trigger the payload's summary (at most
1024), source and severity (enum), the optional payload fields' types, and the shapes of `links`
and `images` (https `src`). It is stricter than PagerDuty in two places, to catch our bugs:
unknown fields are refused, and `payload.timestamp` must carry a zone. A broken event is
answered with PagerDuty's own 400 body and recorded with `refuse()`.

Alert state is kept per (routing_key, dedup_key) as PagerDuty does: trigger opens, acknowledge
and resolve move an open alert, and events for an unknown or resolved key are still answered
202 and change nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from tests.fakes.server import Fake, Fault, Handler, Received

ENQUEUE = "/v2/enqueue"
ROUTING_KEY_LENGTH = 32
MAX_BODY = 512 * 1024
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
EVENT_FIELDS = frozenset(
    "routing_key event_action dedup_key payload links images client client_url".split()
)
PAYLOAD_FIELDS = frozenset(
    "summary source severity timestamp component group class custom_details".split()
)
OPEN = ("triggered", "acknowledged")
BLANK = "is missing or blank"
UNRECOGNIZED = {
    "status": "Unrecognized object",
    "message": "Event object format is unrecognized",
    "errors": ["JSON parse error"],
}


class FakePagerDuty(Fake):
    """Serves `/v2/enqueue`; `alerts` maps (routing_key, dedup_key) to the alert's status."""

    name = "pagerduty"

    def __init__(self) -> None:
        self.alerts: dict[tuple[str, str], str] = {}
        super().__init__()

    def routes(self) -> list[tuple[str, list[str], Handler]]:
        """The one endpoint a notifier uses."""
        return [(ENQUEUE, ["POST"], self._enqueue)]

    def status(self, dedup_key: str, *, routing_key: str) -> str | None:
        """Return triggered / acknowledged / resolved for an alert, or None if never opened."""
        return self.alerts.get((routing_key, dedup_key))

    def answer_next(self, status: int, *, body: dict[str, Any]) -> None:
        """Answer the next request with `status` and `body` (e.g. an error echoing a key)."""
        self._faults.append(Fault(status=status, body=body))

    def take_refusals(self) -> list[str]:
        """Return and forget the contract breaks seen so far (for tests that provoke one)."""
        with self._changed:
            refused = list(self.problems)
            self.problems.clear()
            return refused

    def _enqueue(self, received: Received) -> Response:
        content_type = received.headers.get("content-type", "")
        if not content_type.startswith("application/json") or len(received.body) > MAX_BODY:
            self.refuse(received, f"not JSON or too large: {content_type}, {len(received.body)}")
            return JSONResponse(UNRECOGNIZED, status_code=400)
        try:
            event = received.json()
        except ValueError:
            event = None
        if not isinstance(event, dict):
            self.refuse(received, "the body is not a JSON object")
            return JSONResponse(UNRECOGNIZED, status_code=400)
        errors = event_errors(event)
        if errors:
            self.refuse(received, "; ".join(errors))
            body = {"status": "invalid event", "message": "Event object is invalid"}
            return JSONResponse(body | {"errors": errors}, status_code=400)
        dedup_key = event.get("dedup_key") or uuid.uuid4().hex
        self._apply(event["routing_key"], event["event_action"], dedup_key)
        body = {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
        return JSONResponse(body, status_code=202)

    def _apply(self, routing_key: str, action: str, dedup_key: str) -> None:
        key = (routing_key, dedup_key)
        current = self.alerts.get(key)
        if action == "trigger" and current not in OPEN:
            self.alerts[key] = "triggered"
        elif action == "acknowledge" and current in OPEN:
            self.alerts[key] = "acknowledged"
        elif action == "resolve" and current in OPEN:
            self.alerts[key] = "resolved"


def event_errors(event: dict[str, Any]) -> list[str]:
    """Word every broken rule of an Events v2 alert event as PagerDuty does."""
    errors = [f"'{name}' is not a known field" for name in event if name not in EVENT_FIELDS]
    errors += _routing_key_errors(event.get("routing_key"))
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append(
            "'event_action' is invalid (must be one of the following: "
            "'trigger', 'acknowledge' or 'resolve')"
        )
    errors += _dedup_key_errors(event.get("dedup_key"), required=action in ACTIONS[1:])
    errors += _payload_errors(event.get("payload"), required=action == "trigger")
    errors += _reference_errors(event.get("links"), field="links", key="href", more=("text",))
    errors += _reference_errors(
        event.get("images"), field="images", key="src", more=("href", "alt")
    )
    errors += [
        f"'{name}' must be a string"
        for name in ("client", "client_url")
        if name in event and not isinstance(event[name], str)
    ]
    return errors


def _routing_key_errors(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [f"'routing_key' {BLANK}"]
    if len(value) != ROUTING_KEY_LENGTH:
        return ["Length of 'routing_key' is incorrect (should be 32 characters)"]
    return []


def _dedup_key_errors(value: object, *, required: bool) -> list[str]:
    if value is None or value == "":
        return [f"'dedup_key' {BLANK}"] if required else []
    if not isinstance(value, str):
        return ["'dedup_key' must be a string"]
    if len(value) > MAX_DEDUP_KEY:
        return [f"'dedup_key' is too long (at most {MAX_DEDUP_KEY} characters)"]
    return []


def _payload_errors(value: object, *, required: bool) -> list[str]:
    if value is None:
        return [f"'payload' {BLANK}"] if required else []
    if not isinstance(value, dict):
        return ["'payload' must be an object"]
    errors = [
        f"'payload.{name}' is not a known field" for name in value if name not in PAYLOAD_FIELDS
    ]
    for name in ("summary", "source", "severity"):
        text = value.get(name)
        if required and (not isinstance(text, str) or not text.strip()):
            errors.append(f"'payload.{name}' {BLANK}")
    summary = value.get("summary")
    if isinstance(summary, str) and len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is too long (at most {MAX_SUMMARY} characters)")
    if value.get("severity") not in (None, *SEVERITIES):
        errors.append(
            "'payload.severity' is invalid (must be one of the following: "
            "'critical', 'warning', 'error' or 'info')"
        )
    errors += [
        f"'payload.{name}' must be a string"
        for name in ("timestamp", "component", "group", "class")
        if name in value and not isinstance(value[name], str)
    ]
    errors += _timestamp_errors(value.get("timestamp"))
    if not isinstance(value.get("custom_details", {}), dict):
        errors.append("'payload.custom_details' must be an object")
    return errors


def _timestamp_errors(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    try:
        zone = datetime.fromisoformat(value).tzinfo
    except ValueError:
        zone = None
    return [] if zone is not None else ["'payload.timestamp' is not an ISO 8601 time with a zone"]


def _reference_errors(value: object, *, field: str, key: str, more: tuple[str, ...]) -> list[str]:
    """Check `links` ({href, text?}) or `images` ({src (https), href?, alt?})."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [f"'{field}' must be an array"]
    errors: list[str] = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            errors.append(f"'{where}' must be an object")
            continue
        if not isinstance(item.get(key), str) or not item[key]:
            errors.append(f"'{where}.{key}' {BLANK}")
        elif field == "images" and not item[key].startswith("https://"):
            errors.append(f"'{where}.{key}' must be an https URL")
        errors += [
            f"'{where}.{name}' is not a known field" for name in item if name not in (key, *more)
        ]
        errors += [
            f"'{where}.{name}' must be a string"
            for name in more
            if name in item and not isinstance(item[name], str)
        ]
    return errors


def sign_webhook(body: bytes, *, secrets: Sequence[str]) -> str:
    """Return the `X-PagerDuty-Signature` value PagerDuty sends: `v1=<hex>` per secret."""
    return ",".join(
        "v1=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        for secret in secrets
    )
