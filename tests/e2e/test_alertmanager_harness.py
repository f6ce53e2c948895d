"""The Alertmanager harness end to end: a real Alertmanager notifies a loopback capture server."""

from __future__ import annotations

import json
import queue
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fireline.clock import SystemClock
from tests.support.alertmanager import (
    PAGERDUTY_RECEIVER,
    REQUIRE_ENV,
    WEBHOOK_RECEIVER,
    Alertmanager,
    AlertmanagerConfig,
    PagerDutyReceiver,
    WebhookReceiver,
    alertmanager_binary,
    firing_alert,
    resolved_alert,
)
from tests.support.server import serving

NOTIFY_TIMEOUT_S = 10.0
BEARER = "fake-alertmanager-bearer-token"
ROUTING_KEY = "0123456789abcdef0123456789abcdef"  # fake, 32 characters like a real one
HOOK_PATH = "/integrations/alertmanager/am-fake-integration-key"
LABELS = {"alertname": "QueueSaturated", "region": "eu-west", "severity": "critical"}
ANNOTATIONS = {"summary": "Document queue saturated in eu-west"}


@dataclass(frozen=True)
class Received:
    """One request the capture server got."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class Capture:
    """Records every request; answers `/v2/enqueue` as PagerDuty does (202), the rest 200."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: queue.Queue[Received] = queue.Queue()
        self.app = Starlette(
            routes=[Route("/{path:path}", self._record, methods=["GET", "POST", "PUT"])]
        )

    async def _record(self, request: Request) -> Response:
        raw = await request.body()
        body: Any = json.loads(raw) if raw else None
        path = request.url.path
        self.requests.put(Received(request.method, path, dict(request.headers), body))
        if path == "/v2/enqueue":
            reply = {"status": "success", "message": "Event processed"}
            return JSONResponse({**reply, "dedup_key": body["dedup_key"]}, status_code=202)
        return Response(status_code=200)

    def next(self, am: Alertmanager) -> Received:
        """Block until the next request arrives; fail with Alertmanager's log if none does."""
        try:
            return self.requests.get(timeout=NOTIFY_TIMEOUT_S)
        except queue.Empty:
            message = f"no request reached the capture server within {NOTIFY_TIMEOUT_S} s"
            raise AssertionError(am.explain(message)) from None

    def unconsumed(self) -> list[Received]:
        """Return (and drop) the requests no test looked at."""
        left: list[Received] = []
        while not self.requests.empty():
            left.append(self.requests.get_nowait())
        return left


@pytest.fixture
def capture() -> Iterator[Capture]:
    """A capture server on a loopback port; fails the test if a request went unexamined."""
    recorder = Capture()
    with serving(recorder.app) as url:
        recorder.url = url
        yield recorder
    assert recorder.unconsumed() == []


def test_webhook_gets_firing_then_resolved_notification(capture: Capture, tmp_path: Path) -> None:
    webhook = WebhookReceiver(url=f"{capture.url}{HOOK_PATH}", bearer_token=BEARER)
    clock = SystemClock()
    alert = firing_alert(LABELS, now=clock.now(), annotations=ANNOTATIONS)
    with Alertmanager(AlertmanagerConfig(webhook=webhook), directory=tmp_path / "am") as am:
        am.post_alerts([alert])
        firing = capture.next(am)
        assert (firing.method, firing.path) == ("POST", HOOK_PATH)
        assert firing.headers["authorization"] == f"Bearer {BEARER}"
        assert firing.headers["user-agent"].startswith("Alertmanager/")
        assert firing.body["version"] == "4"
        assert firing.body["status"] == "firing"
        assert firing.body["receiver"] == re.escape(WEBHOOK_RECEIVER)
        assert firing.body["externalURL"] == am.url
        assert firing.body["groupLabels"] == {"alertname": "QueueSaturated", "region": "eu-west"}
        [sent] = firing.body["alerts"]
        assert (sent["status"], sent["labels"], sent["annotations"]) == (
            "firing",
            LABELS,
            ANNOTATIONS,
        )

        am.post_alerts([resolved_alert(alert, now=clock.now())])
        resolved = capture.next(am)
        assert resolved.body["status"] == "resolved"
        assert resolved.body["groupKey"] == firing.body["groupKey"]
        [ended] = resolved.body["alerts"]
        assert (ended["status"], ended["fingerprint"]) == ("resolved", sent["fingerprint"])


def test_pagerduty_gets_trigger_then_resolve_with_one_dedup_key(
    capture: Capture, tmp_path: Path
) -> None:
    pagerduty = PagerDutyReceiver(base_url=capture.url, routing_key=ROUTING_KEY)
    clock = SystemClock()
    alert = firing_alert(LABELS, now=clock.now(), annotations=ANNOTATIONS)
    with Alertmanager(AlertmanagerConfig(pagerduty=pagerduty), directory=tmp_path / "am") as am:
        am.post_alerts([alert])
        trigger = capture.next(am)
        assert (trigger.method, trigger.path) == ("POST", "/v2/enqueue")
        assert "authorization" not in trigger.headers  # the key travels in the body
        assert trigger.body["event_action"] == "trigger"
        assert trigger.body["routing_key"] == ROUTING_KEY
        assert re.fullmatch("[0-9a-f]{64}", trigger.body["dedup_key"])
        assert "QueueSaturated" in trigger.body["payload"]["summary"]

        am.post_alerts([resolved_alert(alert, now=clock.now())])
        resolve = capture.next(am)
        assert resolve.path == "/v2/enqueue"
        assert resolve.body["event_action"] == "resolve"
        assert resolve.body["dedup_key"] == trigger.body["dedup_key"]


def test_config_sends_every_alert_to_both_receivers() -> None:
    config = AlertmanagerConfig(
        webhook=WebhookReceiver(url="http://127.0.0.1:1/hook"),
        pagerduty=PagerDutyReceiver(base_url="http://127.0.0.1:1/", routing_key=ROUTING_KEY),
    )
    document = yaml.safe_load(config.render())
    assert document["route"]["routes"] == [
        {"receiver": WEBHOOK_RECEIVER, "continue": True},
        {"receiver": PAGERDUTY_RECEIVER, "continue": True},
    ]
    assert (document["route"]["group_wait"], document["route"]["group_interval"]) == (
        "100ms",
        "100ms",
    )
    [webhook, pagerduty] = document["receivers"]
    assert "http_config" not in webhook["webhook_configs"][0]
    assert pagerduty["pagerduty_configs"][0]["url"] == "http://127.0.0.1:1/v2/enqueue"


def test_config_without_receiver_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a webhook or a pagerduty receiver"):
        AlertmanagerConfig()


def test_missing_binary_skips_unless_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="make tools"):
        alertmanager_binary()
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=REQUIRE_ENV):
        alertmanager_binary()
