"""Fireline live for real senders: the configuration they need, and a view from outside.

`CONFIG` declares integrations for Alertmanager's webhook, Alertmanager's PagerDuty notifier
and the `pagerduty` package, and the rules that route their alerts. `IntakeWatch` (ASGI
middleware) notes each finished intake request in an `IntakeLog`, which wakes waiters: a test
waits for "the incident is resolved" by re-reading Fireline's API after each intake request,
never by sleeping. `Fireline` is that API over real HTTP, as a viewer, with the log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.api import Api

T = TypeVar("T")

AM_KEY = "e2e-alertmanager-webhook-0001"
AM_PD_KEY = "e2e-alertmanager-pagerduty-00001"  # 32 characters, like a PagerDuty key
CLIENT_PD_KEY = "e2e-python-pagerduty-client-0001"
RUNBOOK_URL = "https://runbooks.doc-platform.example/queue-saturation"
PD_RUNBOOK = "runbooks/queue-saturation.md"
CONFIG = f"""
services:
  - {{name: job-queue, team: platform, tier: 1, regions: [eu-west]}}
  - {{name: database, team: platform, tier: 1, regions: [eu-west]}}
  - {{name: monitoring, team: sre, tier: 2}}
integrations:
  - {{name: prometheus, kind: alertmanager, key: {AM_KEY}}}
  - {{name: prometheus-pd, kind: pagerduty, key: {AM_PD_KEY}}}
  - {{name: db-agent, kind: pagerduty, key: {CLIENT_PD_KEY}}}
routing:
  catch_all_service: monitoring
  rules:
    # Alertmanager's PagerDuty events carry no labels: `source` is "Alertmanager" and
    # `alertname` comes from the receiver's `details`; its default severity is "error".
    - name: queue-via-pagerduty
      match: ['source="Alertmanager"', 'alertname="QueueSaturated"']
      service: job-queue
      severity: "{{% if labels.severity == 'error' %}}SEV2{{% else %}}SEV4{{% endif %}}"
      runbook: {PD_RUNBOOK}
    - name: queue
      match: ['alertname="QueueSaturated"']
      service: job-queue
      severity: "{{% if labels.severity == 'critical' %}}SEV1{{% else %}}SEV3{{% endif %}}"
    - name: database-disk
      match: ['component="postgres"', 'class="disk-full"']
      service: database
      severity: "{{% if labels.severity == 'critical' %}}SEV1{{% else %}}SEV3{{% endif %}}"
"""
INTAKE_PATHS = ("/integrations/", "/v2/enqueue", "/api/v1/alerts")
WAIT_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Exchange:
    """One intake request as the app answered it (status 0: it raised instead)."""

    method: str
    path: str
    status: int
    user_agent: str


class IntakeLog:
    """The intake requests the app has finished, and a way to wait for the next ones."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._exchanges: list[Exchange] = []

    def note(self, exchange: Exchange) -> None:
        """Record a finished intake request and wake every waiter."""
        with self._changed:
            self._exchanges.append(exchange)
            self._changed.notify_all()

    def exchanges(self) -> list[Exchange]:
        """Return the intake requests finished so far, oldest first."""
        with self._changed:
            return list(self._exchanges)

    def rejected(self) -> list[Exchange]:
        """Return the intake requests that were not answered 2xx."""
        return [e for e in self.exchanges() if not 200 <= e.status < 300]

    def wait_until(
        self,
        check: Callable[[], T | None],
        *,
        what: str,
        explain: Callable[[str], str] = str,
        timeout_s: float = WAIT_TIMEOUT_S,
    ) -> T:
        """Return `check()` once it is not None, re-checking after each finished intake request.

        Fails at once when an intake request was rejected (the sender would only retry it), and
        after `timeout_s` otherwise, with `explain(message)` (`Alertmanager.explain` adds its log).
        """
        deadline = time.monotonic() + timeout_s
        while True:
            with self._changed:
                seen = len(self._exchanges)
            found = check()  # an intake request finishing now makes `seen` stale: no lost wakeup
            if found is not None:
                return found
            if self.rejected():
                raise AssertionError(explain(f"{what}: {self._summary()}"))
            with self._changed:
                if not self._changed.wait_for(
                    partial(self._more_than, seen),
                    timeout=max(0.0, deadline - time.monotonic()),
                ):
                    raise AssertionError(
                        explain(f"{what}: not within {timeout_s} s; {self._summary()}")
                    )

    def _more_than(self, count: int) -> bool:
        return len(self._exchanges) > count

    def _summary(self) -> str:
        exchanges, rejected = self.exchanges(), self.rejected()
        return (
            f"{len(exchanges)} intake request(s), {len(rejected)} rejected; "
            f"first rejected: {rejected[:1]}; last: {exchanges[-3:]}"
        )


class IntakeWatch:
    """ASGI middleware: note each intake request in an `IntakeLog` once its answer is sent."""

    def __init__(self, app: ASGIApp, *, log: IntakeLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(INTAKE_PATHS):
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        headers = dict(scope["headers"])
        agent = headers.get(b"user-agent", b"").decode("latin-1")
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self.log.note(Exchange(scope["method"], scope["path"], status, agent))


class Fireline:
    """Fireline seen from outside: its HTTP API as a viewer, and its intake log."""

    def __init__(self, url: str, api: Api, intake: IntakeLog) -> None:
        self.url = url
        self.api = api
        self.intake = intake

    def incidents(self) -> list[dict[str, Any]]:
        """Return every incident, newest first."""
        items: list[dict[str, Any]] = self.api.ok("GET", "/api/v1/incidents", as_="viewer")["items"]
        return items

    def incident(self, ref: str) -> dict[str, Any]:
        """Return one incident."""
        found: dict[str, Any] = self.api.ok("GET", f"/api/v1/incidents/{ref}", as_="viewer")
        return found

    def timeline(self, ref: str) -> list[dict[str, Any]]:
        """Return an incident's timeline events, oldest first."""
        path = f"/api/v1/incidents/{ref}/timeline"
        items: list[dict[str, Any]] = self.api.ok("GET", path, as_="viewer")["items"]
        return items

    def sole_incident(self) -> dict[str, Any] | None:
        """Return the only incident, None while there is none; fail if there are more."""
        items = self.incidents()
        assert len(items) <= 1, f"expected one incident, found {items}"
        return items[0] if items else None

    def wait_for_sole_incident(
        self, status: str, *, explain: Callable[[str], str] = str
    ) -> dict[str, Any]:
        """Wait until the only incident has `status`; return it."""

        def check() -> dict[str, Any] | None:
            found = self.sole_incident()
            return found if found is not None and found["status"] == status else None

        return self.intake.wait_until(
            check, what=f"the sole incident to be {status}", explain=explain
        )


@contextmanager
def open_fireline(
    url: str, intake: IntakeLog, token_for: Callable[[str], str], **client: Any
) -> Iterator[Fireline]:
    """Yield a `Fireline` talking to `url` (extra httpx.Client arguments: `verify=`)."""
    with httpx.Client(base_url=url, timeout=HTTP_TIMEOUT_S, trust_env=False, **client) as http:
        yield Fireline(url, Api(http, token_for), intake)
