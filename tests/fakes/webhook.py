"""A fake webhook receiver: checks Fireline's signature and event shape as a customer would.

`POST /hooks/fireline` must carry `Content-Type: application/json`, `User-Agent: Fireline`, an
`Idempotency-Key` equal to the body's `idempotency_key`, and `X-Fireline-Signature:
t=<unix>,v1=<hex>` whose HMAC-SHA256 over `"<t>." + body` matches the shared secret and whose
`t` is within 5 minutes of the receiver's clock. The signature is recomputed here with `hmac`
directly, following the documented recipe, not with `fireline.integrations.webhook.verify`,
so a bug shared by `sign` and `verify` cannot hide. The body must have exactly the documented
keys. Anything else is answered 400 / 401 and refused; a good event is answered 200.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any, Protocol

from starlette.responses import JSONResponse, Response

from tests.fakes.server import Fake, Fault, Handler, Received

PATH = "/hooks/fireline"
SECRET = "whsec_fake_receiver_shared_secret_01"
TOLERANCE = timedelta(minutes=5)
EVENTS = ("incident.triggered", "incident.acknowledged", "incident.resolved", "incident.test")
KEYS = {"event", "idempotency_key", "sent_at", "incident", "recipient", "step", "details"}
INCIDENT_KEYS = {
    "ref",
    "title",
    "severity",
    "status",
    "service",
    "summary",
    "runbook_url",
    "incident_url",
    "regions",
    "opened_at",
}


class Clock(Protocol):
    """The receiver's idea of now."""

    def now(self) -> datetime:
        """Return the current instant."""
        ...


class FakeWebhookReceiver(Fake):
    """A customer's endpoint that verifies every delivery before accepting it."""

    name = "webhook-receiver"

    def __init__(self, *, clock: Clock, secret: str = SECRET) -> None:
        self.clock = clock
        self.secret = secret
        super().__init__()

    def routes(self) -> list[tuple[str, list[str], Handler]]:
        """The one endpoint the customer configured."""
        return [(PATH, ["POST"], self._receive)]

    def answer_next(self, status: int, *, body: dict[str, Any]) -> None:
        """Answer the next request with `status` and `body` (e.g. an error echoing a value)."""
        self._faults.append(Fault(status=status, body=body))

    def take_refusals(self) -> list[str]:
        """Return and forget the contract breaks seen so far (for tests that provoke one)."""
        with self._changed:
            refused = list(self.problems)
            self.problems.clear()
            return refused

    def _receive(self, received: Received) -> Response:
        problem = self._signature_problem(received)
        if problem:
            self.refuse(received, problem)
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        problems = _request_problems(received)
        if problems:
            self.refuse(received, "; ".join(problems))
            return JSONResponse({"error": "bad request", "problems": problems}, status_code=400)
        return JSONResponse({"received": True}, status_code=200)

    def _signature_problem(self, received: Received) -> str | None:
        header = received.headers.get("x-fireline-signature", "")
        fields = [part.partition("=") for part in header.split(",")]
        stamps = [value for key, _, value in fields if key == "t"]
        signatures = [value for key, _, value in fields if key == "v1"]
        if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
            return f"malformed signature header {header!r}"
        signed = stamps[0].encode() + b"." + received.body
        expected = hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            return "signature does not match"
        age = self.clock.now().timestamp() - int(stamps[0])
        if abs(age) > TOLERANCE.total_seconds():
            return f"signature timestamp is {age:.0f}s away from now"
        return None


def _request_problems(received: Received) -> list[str]:
    headers = received.headers
    problems = []
    if headers.get("content-type") != "application/json":
        problems.append(f"content-type {headers.get('content-type')!r}")
    if headers.get("user-agent") != "Fireline":
        problems.append(f"user-agent {headers.get('user-agent')!r}")
    try:
        body = received.json()
    except ValueError:
        return [*problems, "the body is not JSON"]
    if not isinstance(body, dict):
        return [*problems, "the body is not a JSON object"]
    if headers.get("idempotency-key") != body.get("idempotency_key"):
        problems.append("Idempotency-Key differs from the body's idempotency_key")
    return problems + _event_problems(body)


def _event_problems(body: dict[str, Any]) -> list[str]:
    problems = []
    if set(body) != KEYS:
        problems.append(f"keys {sorted(body)} are not {sorted(KEYS)}")
    if body.get("event") not in EVENTS:
        problems.append(f"unknown event {body.get('event')!r}")
    incident = body.get("incident")
    if not isinstance(incident, dict) or set(incident) != INCIDENT_KEYS:
        problems.append("incident does not have the documented keys")
    try:
        if datetime.fromisoformat(str(body.get("sent_at"))).tzinfo is None:
            problems.append("sent_at has no zone")
    except ValueError:
        problems.append("sent_at is not ISO 8601")
    return problems
