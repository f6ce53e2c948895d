"""The sandbox over real HTTP: metrics, the query API, the admin API, and alerts to Fireline.

A loopback fake Fireline checks every webhook with Fireline's own Alertmanager intake parser,
so the sandbox's payloads are exactly what Fireline accepts.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.responses import JSONResponse, Response

from fireline.domain.errors import Invalid
from fireline.integrations.alertmanager.intake import parse as parse_alertmanager
from fireline.sandbox.app import Sandbox, create_app, ticking
from fireline.sandbox.rules import AlertState, Status
from fireline.sandbox.sender import Sender, fingerprint, webhook_body
from tests.fakes.server import Fake, Handler, Received, running
from tests.support.fake_clock import FakeClock
from tests.support.server import serving

KEY = "sandbox-test-key"
PAYLOADS = Path(__file__).parents[1] / "integrations" / "alertmanager" / "payloads"
METRICS = (
    "platform_queue_depth",
    "platform_queue_oldest_age_seconds",
    "platform_upload_error_ratio",
    "platform_token_expiry_seconds",
    "platform_extraction_error_ratio",
    "platform_extraction_workers",
    "platform_job_latency_seconds",
    "platform_failed_job_info",
    "platform_uploads",
    "platform_jobs_completed",
    "platform_intake_paused",
)


class FakeFireline(Fake):
    """Fireline's Alertmanager endpoint: accepts what Fireline's own parser accepts."""

    name = "fireline"

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        super().__init__()

    def routes(self) -> list[tuple[str, list[str], Handler]]:
        """The one endpoint the sandbox sends to."""
        return [("/integrations/alertmanager/{key}", ["POST"], self._receive)]

    def _receive(self, received: Received) -> Response:
        if received.path != f"/integrations/alertmanager/{KEY}":
            self.refuse(received, "wrong integration key")
            return JSONResponse({"detail": "unknown integration"}, status_code=404)
        try:
            parse_alertmanager(received.json(), received_at=self.clock.now())
        except (Invalid, ValueError) as error:
            self.refuse(received, f"Fireline would refuse it: {error}")
            return JSONResponse({"detail": str(error)}, status_code=422)
        return JSONResponse({"accepted": True}, status_code=202)


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    """A sandbox on the fake clock, sending nowhere."""
    return Sandbox(clock=clock, seed=11)


@pytest.fixture
def url(sandbox: Sandbox) -> Iterator[str]:
    """The sandbox's HTTP app, served on loopback."""
    with serving(create_app(sandbox)) as base:
        yield base


@pytest.fixture
def fireline(clock: FakeClock) -> Iterator[tuple[FakeFireline, str]]:
    """A fake Fireline on loopback and its URL; unexpected or untaken requests fail the test."""
    fake = FakeFireline(clock)
    with running(fake) as base:
        yield fake, base


@pytest.fixture
def sending(
    clock: FakeClock, fireline: tuple[FakeFireline, str]
) -> Iterator[tuple[FakeFireline, Sandbox]]:
    """A sandbox that sends its alerts to the fake Fireline, and that fake."""
    fake, fireline_url = fireline
    sender = Sender(fireline_url, key=KEY, external_url="http://sandbox.test:9200")
    sandbox = Sandbox(clock=clock, seed=11, sender=sender)
    yield fake, sandbox
    sandbox.close()


def _post(url: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.post(f"{url}{path}", json=body)


def _state(url: str) -> dict[str, Any]:
    state: dict[str, Any] = httpx.get(f"{url}/admin/state").raise_for_status().json()
    return state


def _alert(request: Received) -> dict[str, Any]:
    body = request.json()
    assert len(body["alerts"]) == 1
    alert: dict[str, Any] = body["alerts"][0]
    return alert


def test_metrics_are_exposed_in_the_prometheus_text_format(url: str) -> None:
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert set(METRICS) <= set(families)
    assert families["platform_job_latency_seconds"].type == "histogram"
    tokens = {s.labels["token"] for s in families["platform_token_expiry_seconds"].samples}
    assert tokens == {"uploads-api", "extraction-worker"}


def test_the_query_api_answers_in_prometheus_shape(
    url: str, sandbox: Sandbox, clock: FakeClock
) -> None:
    clock.advance(minutes=1)
    sandbox.advance()
    response = httpx.get(f"{url}/api/v1/query", params={"query": "platform_extraction_workers"})
    assert response.status_code == 200
    [sample] = response.json()["data"]["result"]
    assert response.json()["status"] == "success"
    assert response.json()["data"]["resultType"] == "vector"
    assert sample["metric"] == {"__name__": "platform_extraction_workers"}
    assert sample["value"][1] == "8"
    assert sample["value"][0] == pytest.approx(sandbox.platform.simulated_at.timestamp())
    posted = httpx.post(
        f"{url}/api/v1/query", data={"query": "min(platform_token_expiry_seconds) < 3600"}
    )
    assert posted.json()["data"]["result"] == []


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"query": "rate(platform_uploads_total[5m])"}, "unexpected '['"),
        ({"query": "  "}, "the query is empty"),
        ({}, "the query is empty"),
    ],
)
def test_a_query_outside_the_subset_is_refused_in_prometheus_shape(
    url: str, params: dict[str, str], error: str
) -> None:
    response = httpx.get(f"{url}/api/v1/query", params=params)
    assert response.status_code == 400
    body = response.json()
    assert (body["status"], body["errorType"]) == ("error", "bad_data")
    assert body["error"].startswith('invalid parameter "query": ')
    assert error in body["error"]


def test_scaling_workers_shows_in_state_and_metrics(url: str) -> None:
    response = _post(url, "/admin/workers", {"count": 20})
    assert response.status_code == 200
    assert response.json()["workers"] == 20
    assert _state(url)["workers"] == 20
    assert "platform_extraction_workers 20.0" in httpx.get(f"{url}/metrics").text


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"count": 0}, 422, "count must be between 1 and 100, got 0"),
        ({"count": 101}, 422, "count must be between 1 and 100, got 101"),
        ({"count": "10"}, 422, 'the body must be {"count": N} with N from 1 to 100'),
        ({"count": True}, 422, 'the body must be {"count": N}'),
        ({}, 422, 'the body must be {"count": N}'),
        ([3], 422, 'the body must be {"count": N}'),
    ],
)
def test_bad_worker_counts_are_refused_with_a_clear_message(
    url: str, body: Any, status: int, error: str
) -> None:
    response = _post(url, "/admin/workers", body)
    assert response.status_code == status
    assert error in response.json()["error"]
    assert _state(url)["workers"] == 8


def test_a_body_that_is_not_json_is_refused(url: str) -> None:
    response = httpx.post(f"{url}/admin/workers", content=b"count=3")
    assert response.status_code == 400
    assert response.json()["error"].startswith("the body is not JSON")


def test_intake_pauses_and_resumes(url: str, sandbox: Sandbox, clock: FakeClock) -> None:
    assert _post(url, "/admin/intake/pause").json()["changed"] is True
    assert _post(url, "/admin/intake/pause").json()["changed"] is False
    uploads = _state(url)["uploads_total"]
    clock.advance(minutes=1)
    sandbox.advance()
    assert _state(url)["uploads_total"] == uploads
    assert "platform_intake_paused 1.0" in httpx.get(f"{url}/metrics").text
    resumed = _post(url, "/admin/intake/resume").json()
    assert (resumed["changed"], resumed["intake_paused"]) == (True, False)


def test_tokens_rotate_and_unknown_ones_are_404(url: str) -> None:
    _post(url, "/admin/faults/token-expiry").raise_for_status()
    assert _state(url)["tokens"]["extraction-worker"]["expires_in_seconds"] == 600
    rotated = _post(url, "/admin/tokens/extraction-worker/rotate")
    assert rotated.status_code == 200
    assert rotated.json()["healed"] == ["token-expiry"]
    assert _state(url)["tokens"]["extraction-worker"]["expires_in_seconds"] == 30 * 86400
    missing = _post(url, "/admin/tokens/db-password/rotate")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "no token 'db-password'; tokens are uploads-api, extraction-worker"
    }


def test_faults_are_injected_listed_and_cleared(url: str) -> None:
    injected = _post(url, "/admin/faults/queue-saturation")
    assert injected.status_code == 200
    assert injected.json()["changed"] is True
    assert "POST /admin/workers" in injected.json()["healed_by"]
    assert _post(url, "/admin/faults/queue-saturation").json()["changed"] is False
    _post(url, "/admin/faults/upload-failures").raise_for_status()
    state = _state(url)
    assert [f["name"] for f in state["faults"]] == ["queue-saturation", "upload-failures"]
    assert state["workers"] == 1
    cleared = _post(url, "/admin/faults/clear").json()
    assert cleared == {"cleared": ["queue-saturation", "upload-failures"], "active_faults": []}
    assert (_state(url)["faults"], _state(url)["workers"]) == ([], 8)
    unknown = _post(url, "/admin/faults/disk-full")
    assert unknown.status_code == 404
    assert unknown.json()["error"].startswith("no fault 'disk-full'; faults are queue-saturation")


def test_failed_jobs_are_retried_or_drained(url: str, sandbox: Sandbox, clock: FakeClock) -> None:
    _post(url, "/admin/faults/extraction-errors").raise_for_status()
    clock.advance(minutes=1)
    sandbox.advance()
    state = _state(url)
    assert state["dead_letters"] > 50
    assert len(state["failed_job_ids"]) == 50
    retried = _post(url, "/admin/jobs/retry-failed").json()
    assert retried["retried"] == state["dead_letters"] == len(retried["job_ids"])
    assert retried["job_ids"][-50:] == state["failed_job_ids"]
    assert retried["healed"] == ["extraction-errors"]
    assert _state(url)["dead_letters"] == 0
    clock.advance(seconds=30)
    sandbox.advance()
    dead = _state(url)["dead_letters"]
    assert _post(url, "/admin/dead-letters/drain").json()["drained"] == dead


def test_unknown_paths_and_methods_answer_json(url: str) -> None:
    missing = httpx.get(f"{url}/admin/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"error": "GET /admin/nothing: Not Found"}
    wrong = httpx.get(f"{url}/admin/faults/clear")
    assert wrong.status_code == 405
    assert "error" in wrong.json()
    assert "GET /metrics" in httpx.get(url).json()["endpoints"]


def test_a_fault_fires_an_alert_to_fireline_and_its_mitigation_resolves_it(
    clock: FakeClock, sending: tuple[FakeFireline, Sandbox]
) -> None:
    fake, sandbox = sending
    with serving(create_app(sandbox)) as url:
        clock.advance(minutes=10)
        assert sandbox.advance() == []
        assert fake.attempts == []
        _post(url, "/admin/faults/extraction-errors").raise_for_status()
        clock.advance(minutes=3)
        sandbox.advance()
        [firing_request] = fake.take()
        firing = _alert(firing_request)
        assert firing["status"] == "firing"
        assert firing["labels"]["alertname"] == "ExtractionErrorRateHigh"
        assert firing["labels"]["service"] == "extraction"
        assert firing["endsAt"] == "0001-01-01T00:00:00Z"
        assert firing["generatorURL"].startswith("http://sandbox.test:9200/api/v1/query?query=")
        job_ids = firing["annotations"]["job_ids"].split(",")
        assert 0 < len(job_ids) <= 50
        assert firing_request.headers["content-type"] == "application/json"

        retried = _post(url, "/admin/jobs/retry-failed").json()
        assert set(job_ids) <= set(retried["job_ids"])
        clock.advance(minutes=2)
        sandbox.advance()
        [resolved_request] = fake.take()
        resolved = _alert(resolved_request)
        assert resolved["status"] == "resolved"
        assert resolved["fingerprint"] == firing["fingerprint"]
        assert resolved["startsAt"] == firing["startsAt"]
        assert resolved["endsAt"] > resolved["startsAt"]
        clock.advance(minutes=20)
        sandbox.advance()  # nothing more to say: the fake fails on any further request
    assert _state_of(sandbox)["sender"] == {"deliveries": 2, "last_error": None}


def _state_of(sandbox: Sandbox) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(json.dumps(sandbox.state()))
    return state


def test_a_delivery_refused_with_5xx_is_retried_at_the_next_evaluation(
    clock: FakeClock, sending: tuple[FakeFireline, Sandbox]
) -> None:
    fake, sandbox = sending
    sender = sandbox.sender
    assert sender is not None
    clock.advance(minutes=1)
    sandbox.advance()
    sandbox.inject_fault("token-expiry")
    fake.fail_next(503)
    clock.advance(minutes=1, seconds=15)
    sandbox.advance()  # pending, then firing: the delivery meets the 503
    assert len(fake.attempts) == 1
    assert sender.last_error is not None
    assert "503" in sender.last_error
    clock.advance(seconds=15)
    sandbox.advance()
    [delivered] = fake.take()
    assert _alert(delivered)["labels"]["token"] == "extraction-worker"
    assert "expires in 8m" in _alert(delivered)["annotations"]["summary"]


def test_a_delivery_refused_with_4xx_is_given_up(
    clock: FakeClock, sending: tuple[FakeFireline, Sandbox]
) -> None:
    fake, sandbox = sending
    sender = sandbox.sender
    assert sender is not None
    sandbox.inject_fault("token-expiry")
    fake.fail_next(400)
    clock.advance(minutes=2)
    sandbox.advance()
    clock.advance(minutes=2)
    sandbox.advance()
    assert len(fake.attempts) == 1
    assert sender.last_error is not None
    assert "400" in sender.last_error


def _firing(now: datetime) -> AlertState:
    return AlertState(
        name="QueueSaturated",
        status=Status.FIRING,
        labels={"alertname": "QueueSaturated", "severity": "critical", "region": "eu-west-1"},
        annotations={"summary": "Job queue saturated: 812 jobs waiting"},
        value=812.0,
        expr="platform_queue_depth > 500",
        active_at=now - timedelta(minutes=1),
        fired_at=now,
    )


def test_an_unreachable_fireline_is_retried(clock: FakeClock) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    alert = _firing(clock.now())
    target = f"http://127.0.0.1:{port}"
    with closing(Sender(target, key=KEY, external_url="http://sandbox.test")) as sender:
        first = sender.send([alert])
        assert first.retrying == [fingerprint(alert.labels)]
        assert sender.send([alert]).retrying == first.retrying
        assert sender.last_error is not None
        assert "cannot reach Fireline" in sender.last_error
        assert KEY not in sender.last_error


def test_the_webhook_body_has_alertmanagers_shape(clock: FakeClock) -> None:
    alert = _firing(clock.now())
    body = webhook_body(alert, external_url="http://sandbox.test/")
    real = json.loads((PAYLOADS / "webhook-firing-queue-saturated.json").read_text())
    assert set(body) == set(real)
    assert set(body["alerts"][0]) == set(real["alerts"][0])
    assert body["groupKey"] == (
        '{}:{alertname="QueueSaturated", region="eu-west-1", severity="critical"}'
    )
    assert body["alerts"][0]["fingerprint"] == fingerprint(dict(reversed(alert.labels.items())))
    assert body["alerts"][0]["startsAt"].endswith("Z")
    [parsed] = parse_alertmanager(body, received_at=clock.now())
    assert parsed.dedup_key == body["alerts"][0]["fingerprint"]


class _TickingClock(FakeClock):
    """A fake clock that moves a second at each reading and says when it was read enough."""

    def __init__(self, readings: int) -> None:
        super().__init__()
        self.readings = readings
        self.read_enough = threading.Event()

    def now(self) -> datetime:
        self.advance(seconds=1)
        self.readings -= 1
        if self.readings <= 0:
            self.read_enough.set()
        return super().now()


def test_the_ticker_advances_the_sandbox_from_a_thread() -> None:
    clock = _TickingClock(readings=30)
    sandbox = Sandbox(clock=clock, seed=1)
    start = sandbox.platform.simulated_at
    with ticking(sandbox, interval_s=0.001):
        assert clock.read_enough.wait(10)
    assert sandbox.platform.simulated_at - start >= timedelta(seconds=20)
