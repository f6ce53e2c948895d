"""A fake Opsgenie Alert API v2: create, acknowledge and close, with GenieKey auth.

Checks `shared/contracts/opsgenie-alert-api.md` §2, §3 and §7: `Authorization: GenieKey <key>`
(a request without that scheme is a contract break; a well-formed wrong key is answered 401
like Opsgenie, without being recorded as one), JSON bodies, the create fields and their limits
(message 130, alias 512, description 15,000, entity 512, source and user 100, note 25,000, tags
20 x 50, actions 10 x 50, details string to string with 8,000 characters of keys and values,
responders and visibleTo 50 recipients of a known type), `priority` P1..P5, and unknown
fields (refused: stricter than Opsgenie, to catch typos). Breaks are answered 422 (400 for a
body that is not JSON) in Opsgenie's error shape and recorded with `refuse()`.

Accepted calls get 202 `{result, took, requestId}` and are applied at once: open alerts are
deduplicated by alias (`count` goes up); an action on an unknown identifier is still 202 and
its request status says "Alert does not exist", as Opsgenie does asynchronously.
`GET /v2/alerts/requests/{requestId}` answers that status (§4); `process_later(n)` makes it
404 ("not processed yet") for the next n polls, and `fail_processing(status)` makes the next
accepted request come out `isSuccess: false`. Status polls are not queued for `take()`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.responses import JSONResponse, Response

from tests.fakes.server import Fake, Fault, Handler, Received

ALERTS = "/v2/alerts"
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
IDENTIFIER_TYPES = ("id", "alias", "tiny")
TEXT_LIMITS = {
    "message": 130,
    "alias": 512,
    "description": 15_000,
    "entity": 512,
    "source": 100,
    "user": 100,
    "note": 25_000,
}
LIST_LIMITS = {"tags": (20, 50), "actions": (10, 50)}
MAX_DETAILS = 8_000
MAX_RECIPIENTS = 50
RECIPIENT_KEYS = {
    "team": ("id", "name"),
    "escalation": ("id", "name"),
    "schedule": ("id", "name"),
    "user": ("id", "username"),
}
CREATE_FIELDS = frozenset(
    {*TEXT_LIMITS, *LIST_LIMITS, "details", "responders", "visibleTo", "priority"}
)
ACTION_FIELDS = frozenset({"user", "source", "note"})
REQUESTS = ALERTS + "/requests/"
TOOK = 0.011


@dataclass
class FakeAlert:
    """An alert as Opsgenie keeps it."""

    id: str
    tiny_id: str
    alias: str
    body: dict[str, Any]
    status: str = "open"
    acknowledged: bool = False
    count: int = 1


class FakeOpsgenie(Fake):
    """Serves the three alert endpoints a notifier uses, for one API key."""

    name = "opsgenie"
    quiet_prefixes = (REQUESTS,)

    def __init__(self, *, api_key: str) -> None:
        self.api_key = api_key
        self.alerts: list[FakeAlert] = []
        self.requests: dict[str, dict[str, Any]] = {}  # requestId -> request status `data`
        self.status_polls: list[str] = []  # requestIds asked for, in order
        self._unprocessed_polls = 0
        self._failing_status: str | None = None
        super().__init__()

    def routes(self) -> list[tuple[str, list[str], Handler]]:
        """Create, acknowledge and close (identifiers may contain `/`, hence `:path`)."""
        return [
            (REQUESTS + "{request_id}", ["GET"], self._request_status),
            (ALERTS, ["POST"], self._create),
            (ALERTS + "/{identifier:path}/acknowledge", ["POST"], self._action),
            (ALERTS + "/{identifier:path}/close", ["POST"], self._action),
        ]

    def alert(self, alias: str) -> FakeAlert | None:
        """Return the newest alert with `alias` (open or closed), or None."""
        found = [alert for alert in self.alerts if alert.alias == alias]
        return found[-1] if found else None

    def answer_next(self, status: int, *, body: dict[str, Any]) -> None:
        """Answer the next request with `status` and `body` (e.g. an error echoing a key)."""
        self._faults.append(Fault(status=status, body=body))

    def process_later(self, polls: int) -> None:
        """Answer the next `polls` status polls 404, as Opsgenie does before it processed one."""
        self._unprocessed_polls = polls

    def fail_processing(self, status: str) -> None:
        """Accept the next create or action with 202, then report it failed with `status`."""
        self._failing_status = status

    def take_refusals(self) -> list[str]:
        """Return and forget the contract breaks seen so far (for tests that provoke one)."""
        with self._changed:
            refused = list(self.problems)
            self.problems.clear()
            return refused

    def _create(self, received: Received) -> Response:
        body, refusal = self._checked(received, required=True)
        if refusal is not None:
            return refusal
        errors = create_errors(body)
        if errors:
            return self._invalid(received, errors)
        if (failing := self._take_failing()) is not None:
            return self._answer(action="Create", alert=None, status=failing)
        alias = body.get("alias") or str(uuid.uuid4())
        alert = next((a for a in self.alerts if a.alias == alias and a.status == "open"), None)
        if alert is None:
            alert = FakeAlert(str(uuid.uuid4()), str(len(self.alerts) + 1), alias, body)
            self.alerts.append(alert)
        else:
            alert.count += 1
        return self._answer(action="Create", alert=alert, status="Created alert")

    def _action(self, received: Received) -> Response:
        body, refusal = self._checked(received, required=False)
        if refusal is not None:
            return refusal
        errors = {name: "is not a known field" for name in body if name not in ACTION_FIELDS}
        errors |= _text_errors(body)
        kind = received.query.get("identifierType", "id")
        if kind not in IDENTIFIER_TYPES:
            errors["identifierType"] = f"must be one of {', '.join(IDENTIFIER_TYPES)}"
        if errors:
            return self._invalid(received, errors)
        if (failing := self._take_failing()) is not None:
            return self._answer(action="Action", alert=None, status=failing)
        # Starlette's `url.path` re-quotes some characters (`?` as %3F) of the decoded path.
        path = unquote(received.path.removeprefix(ALERTS + "/"))
        identifier, _, action = path.rpartition("/")
        alert = self._find(identifier, kind=kind)
        if alert is not None and action == "acknowledge":
            alert.acknowledged = True
        elif alert is not None:
            alert.status = "closed"
        status = "Alert does not exist" if alert is None else f"{action.title()}d alert"
        return self._answer(action=action.title(), alert=alert, status=status)

    def _take_failing(self) -> str | None:
        failing, self._failing_status = self._failing_status, None
        return failing

    def _request_status(self, received: Received) -> Response:
        _, refusal = self._checked(received, required=False)
        if refusal is not None:
            return refusal
        request_id = received.path.removeprefix(REQUESTS)
        self.status_polls.append(request_id)
        data = self.requests.get(request_id)
        if data is None or self._unprocessed_polls > 0:
            self._unprocessed_polls = max(0, self._unprocessed_polls - 1)
            return _error(404, "Request not found. It might not be processed, yet.")
        return JSONResponse({"data": data, "took": TOOK, "requestId": request_id})

    def _find(self, identifier: str, *, kind: str) -> FakeAlert | None:
        for alert in reversed(self.alerts):
            value = {"id": alert.id, "alias": alert.alias, "tiny": alert.tiny_id}[kind]
            if value == identifier and (kind != "alias" or alert.status == "open"):
                return alert
        return None

    def _checked(
        self, received: Received, *, required: bool
    ) -> tuple[dict[str, Any], Response | None]:
        """Check the API key and decode the JSON body ({} when optional and empty)."""
        auth = received.headers.get("authorization", "")
        if not auth.startswith("GenieKey "):
            self.refuse(received, "no 'Authorization: GenieKey <key>' header")
            return {}, _error(401, "Could not authenticate")
        if auth != f"GenieKey {self.api_key}":
            return {}, _error(401, "Could not authenticate")
        if not received.body and not required:
            return {}, None
        if not received.headers.get("content-type", "").startswith("application/json"):
            self.refuse(received, "the body is not sent as application/json")
            return {}, _error(400, "Content type is not supported")
        try:
            body = received.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.refuse(received, "the body is not a JSON object")
            return {}, _error(400, "Could not parse json")
        return body, None

    def _invalid(self, received: Received, errors: dict[str, str]) -> Response:
        self.refuse(received, "; ".join(f"{field} {why}" for field, why in errors.items()))
        return _error(422, "Request body is not valid", errors=errors)

    def _answer(self, *, action: str, alert: FakeAlert | None, status: str) -> Response:
        request_id = str(uuid.uuid4())
        self.requests[request_id] = {
            "success": alert is not None,
            "isSuccess": alert is not None,
            "action": action,
            "processedAt": "2026-12-05T06:00:00.000Z",
            "integrationId": "c9cec2cb-0000-4000-8000-000000000001",
            "status": status,
            "alertId": alert.id if alert else "",
            "alias": alert.alias if alert else "",
        }
        body = {"result": "Request will be processed", "took": TOOK, "requestId": request_id}
        return JSONResponse(body, status_code=202)


def create_errors(body: dict[str, Any]) -> dict[str, str]:
    """Map each broken field of a create body to why, as Opsgenie's `errors` object does."""
    errors = {name: "is not a known field" for name in body if name not in CREATE_FIELDS}
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        errors["message"] = "is required"
    errors |= _text_errors(body)
    if body.get("priority") not in (None, *PRIORITIES):
        errors["priority"] = f"must be one of {', '.join(PRIORITIES)}"
    for name, (most, longest) in LIST_LIMITS.items():
        items = body.get(name, [])
        if not isinstance(items, list) or len(items) > most:
            errors[name] = f"must be a list of at most {most} items"
        elif any(not isinstance(item, str) or len(item) > longest for item in items):
            errors[name] = f"items must be strings of at most {longest} characters"
    errors |= _details_errors(body.get("details", {}))
    for name in ("responders", "visibleTo"):
        errors |= _recipient_errors(name, body.get(name, []))
    return errors


def _text_errors(body: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = body.get(name)
        if name in body and not isinstance(value, str):
            errors[name] = "must be a string"
        elif isinstance(value, str) and len(value) > limit:
            errors[name] = f"must be at most {limit} characters"
    return errors


def _details_errors(details: object) -> dict[str, str]:
    if not isinstance(details, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in details.items()
    ):
        return {"details": "must map strings to strings"}
    size = sum(len(key) + len(value) for key, value in details.items())
    if size > MAX_DETAILS:
        return {"details": f"must be at most {MAX_DETAILS} characters, not {size}"}
    return {}


def _recipient_errors(field: str, recipients: object) -> dict[str, str]:
    if not isinstance(recipients, list) or len(recipients) > MAX_RECIPIENTS:
        return {field: f"must be a list of at most {MAX_RECIPIENTS} recipients"}
    for index, recipient in enumerate(recipients):
        kind = recipient.get("type") if isinstance(recipient, dict) else None
        keys = RECIPIENT_KEYS.get(kind) if isinstance(kind, str) else None
        if keys is None or not isinstance(recipient, dict):
            return {f"{field}[{index}]": f"type must be one of {', '.join(RECIPIENT_KEYS)}"}
        if not any(isinstance(recipient.get(key), str) and recipient[key] for key in keys):
            return {f"{field}[{index}]": f"needs one of {' or '.join(keys)}"}
    return {}


def _error(status: int, message: str, *, errors: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"message": message, "took": TOOK, "requestId": str(uuid.uuid4())}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)
