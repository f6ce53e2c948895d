"""PagerDuty's official Python client (`pagerduty` 7.x) pages `/v2/enqueue`; both databases.

The client refuses any base URL that is not `https://` (`UrlError`), so Fireline is served
over real TLS on loopback: a throwaway CA made in memory (`trustme`, see `tests/support/tls.py`)
signs a certificate for 127.0.0.1, uvicorn serves the app with it, and the client, an
`httpx2.Client` underneath that passes its keyword arguments through, gets `verify=` an
SSLContext trusting that CA. This keeps the client's own transport, URL handling and TLS
verification in the path, unlike a transport that reroutes https to plain http; and nothing
is added to the system's trust store.

The client retries 429 without limit and 5xx several times with exponential sleeps, and its
read timeout is 60 s: `_bounded` makes every failure surface at once instead (one immediate
429 retry, no 5xx or network retry, 5 s timeout), so a misbehaving Fireline fails the test
quickly rather than hanging it. Its `submit()` (change events) is broken in 7.2.0 (the
auto-`timestamp` raises AttributeError), and `trigger()` never adds a timestamp: these tests
send `payload.timestamp` themselves, in PagerDuty's documented `+0000` form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any

import httpx2
import pagerduty
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from fireline.services.container import Container
from tests.e2e.live import CLIENT_PD_KEY, Fireline, IntakeLog, open_fireline
from tests.support.tls import LoopbackTls, serving_tls

ACTOR = "pagerduty:db-agent"
REQUEST_TIMEOUT_S = 5  # seconds, as the client types it
ACCEPTED = {"status": "success", "message": "Event processed"}


@pytest.fixture
def tls() -> LoopbackTls:
    """A CA and a certificate for 127.0.0.1, made for this test."""
    return LoopbackTls()


@pytest.fixture
def live_https_url(app: FastAPI, tls: LoopbackTls) -> Iterator[str]:
    """The app served over https on a loopback port, its certificate signed by `tls`."""
    with serving_tls(app, tls) as url:
        yield url


@pytest.fixture
def fireline_https(
    configured: Container,
    live_https_url: str,
    intake: IntakeLog,
    role_tokens: Callable[[str], str],
    tls: LoopbackTls,
) -> Iterator[Fireline]:
    """Configured Fireline over https, its API read through a client that trusts `tls`."""
    assert configured.live_config.current() is not None  # live before anything is sent
    trusting = tls.client_context()
    with open_fireline(live_https_url, intake, role_tokens, verify=trusting) as fireline:
        yield fireline


class _Replies:
    """The client's HTTP answers, as its own httpx2 response hook saw them."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, Any]] = []

    def __call__(self, response: httpx2.Response) -> None:
        response.read()
        self.seen.append((response.status_code, response.json()))


@pytest.fixture
def replies() -> _Replies:
    """A recorder for the client's responses."""
    return _Replies()


@pytest.fixture
def events(
    fireline_https: Fireline, tls: LoopbackTls, replies: _Replies
) -> Iterator[pagerduty.EventsApiV2Client]:
    """PagerDuty's Events v2 client pointed at Fireline, trusting the test CA, never hanging."""
    with _events_client(fireline_https.url, tls, event_hooks={"response": [replies]}) as events:
        yield events


def _events_client(url: str, tls: LoopbackTls, **client: Any) -> pagerduty.EventsApiV2Client:
    """Build the client for `url`, trusting `tls`, with `_bounded` retries and timeout."""
    events = pagerduty.EventsApiV2Client(
        CLIENT_PD_KEY, base_url=url, verify=tls.client_context(), trust_env=False, **client
    )
    return _bounded(events)


def _bounded(events: pagerduty.EventsApiV2Client) -> pagerduty.EventsApiV2Client:
    """Make every failure surface at once: the defaults retry 429 forever with sleeps."""
    events.retry = {429: 1}  # a positive count is the only way to stop the 429 loop
    events.sleep_timer = 0  # ... and its retry comes at once
    events.max_network_attempts = 0
    events.timeout = REQUEST_TIMEOUT_S  # per request (default 60 s)
    return events


def _pd_timestamp(container: Container) -> str:
    """Fireline's (fake) now, written as PagerDuty documents it: `…T08:42:58.315+0000`."""
    return container.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def test_pagerduty_client_triggers_acknowledges_and_resolves_an_incident(
    events: pagerduty.EventsApiV2Client,
    fireline_https: Fireline,
    replies: _Replies,
    container: Container,
) -> None:
    key = events.trigger(
        "Disk 95% full on db01",
        "db01.eu-west.example",
        severity="critical",
        payload={
            "component": "postgres",
            "class": "disk-full",
            "group": "prod-db",
            "timestamp": _pd_timestamp(container),
        },
        custom_details={"region": "eu-west", "free_bytes": 1_073_741_824},
    )
    # No dedup_key was sent: Fireline made one, and the client read it from the 202 body.
    assert re.fullmatch("[0-9a-f]{32}", key)
    # Answered only after commit, so the incident is there without waiting.
    opened = fireline_https.sole_incident()
    assert opened is not None
    assert (opened["status"], opened["service"], opened["severity"]) == (
        "triggered",
        "database",
        "SEV1",  # the `database-disk` rule's template: severity=critical → SEV1
    )
    assert (opened["title"], opened["regions"], opened["created_by"]) == (
        "Disk 95% full on db01",
        ["eu-west"],
        ACTOR,
    )

    assert events.acknowledge(key) == key
    assert fireline_https.incident(opened["ref"])["status"] == "acknowledged"
    assert events.resolve(key) == key
    assert fireline_https.incident(opened["ref"])["status"] == "resolved"

    assert replies.seen == [(202, {**ACCEPTED, "dedup_key": key})] * 3
    timeline = fireline_https.timeline(opened["ref"])
    assert [event["kind"] for event in timeline] == [
        "incident.opened",
        "alert.fired",
        "incident.acknowledge",
        "alert.resolved",
        "incident.resolve",
    ]
    assert {event["actor"] for event in timeline} == {ACTOR}
    fired = timeline[1]["data"]
    assert (fired["source"], fired["rule"], fired["dedup_key"]) == (
        "pagerduty",
        "database-disk",
        key,
    )
    exchanges = fireline_https.intake.exchanges()
    assert [(e.path, e.status) for e in exchanges] == [("/v2/enqueue", 202)] * 3
    assert all(e.user_agent.startswith("python-pagerduty/") for e in exchanges)


def test_pagerduty_client_dedup_key_is_kept_and_repeats_join_the_open_incident(
    events: pagerduty.EventsApiV2Client, fireline_https: Fireline, replies: _Replies
) -> None:
    def trigger() -> str:
        payload = {"component": "postgres", "class": "disk-full"}
        return events.trigger("Disk full", "db02", dedup_key="db02/disk", payload=payload)

    assert trigger() == "db02/disk"
    assert trigger() == "db02/disk"
    [incident] = fireline_https.incidents()
    assert incident["status"] == "triggered"
    assert [e["kind"] for e in fireline_https.timeline(incident["ref"])] == [
        "incident.opened",
        "alert.fired",
    ]
    assert replies.seen == [(202, {**ACCEPTED, "dedup_key": "db02/disk"})] * 2


def test_pagerduty_client_resolving_an_unknown_key_is_accepted_and_changes_nothing(
    events: pagerduty.EventsApiV2Client, fireline_https: Fireline, replies: _Replies
) -> None:
    # PagerDuty drops an acknowledge or resolve for a key with no open alert, still with 202.
    assert events.resolve("never-triggered") == "never-triggered"
    assert events.acknowledge("never-triggered") == "never-triggered"
    assert fireline_https.incidents() == []
    assert replies.seen == [(202, {**ACCEPTED, "dedup_key": "never-triggered"})] * 2


def test_pagerduty_client_refuses_plain_http() -> None:
    # Why these tests serve TLS: the client is not even built for an http:// base URL.
    with pytest.raises(pagerduty.UrlError, match="https"):
        pagerduty.EventsApiV2Client(CLIENT_PD_KEY, base_url="http://127.0.0.1:1")


@pytest.mark.parametrize("status", [429, 503])
def test_bounded_client_gives_up_at_once_when_throttled_or_unavailable(
    tls: LoopbackTls, status: int
) -> None:
    # Guards the guard: were `_bounded` to stop working after a `pagerduty` upgrade, the
    # tests above could hang on a 429 (retried forever) or sleep through 5xx retries.
    attempts: list[int] = []

    async def refuse(_request: Request) -> JSONResponse:
        attempts.append(status)
        return JSONResponse({"status": "throttled", "message": "try later"}, status_code=status)

    stub = Starlette(routes=[Route("/v2/enqueue", refuse, methods=["POST"])])
    with serving_tls(stub, tls) as url, _events_client(url, tls) as events:
        with pytest.raises(pagerduty.HttpError) as raised:
            events.trigger("Disk full", "db03")
    assert raised.value.response is not None
    assert raised.value.response.status_code == status
    assert len(attempts) == (2 if status == 429 else 1)
