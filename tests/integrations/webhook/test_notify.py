"""WebhookNotifier against FakeWebhookReceiver on loopback: signed events, outcomes, no leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message, MessageKind
from fireline.integrations.delivery import make_client
from fireline.integrations.webhook import WebhookNotifier, verify
from tests.fakes.server import running
from tests.fakes.webhook import PATH, SECRET, FakeWebhookReceiver
from tests.support.fake_clock import START, FakeClock
from tests.support.messages import assert_no_secret, closed_port_url, make_brief, make_message

OPENED_AT = datetime(2026, 1, 5, 8, 55, tzinfo=UTC)
BRIEF = make_brief(opened_at=OPENED_AT)


def _message(kind: MessageKind = MessageKind.TRIGGER, **changes: Any) -> Message:
    return make_message(
        kind, brief=BRIEF, created_at=OPENED_AT, step=2, details={"actor": "bob"}, **changes
    )


def _destination(url: str, *, secret: str = SECRET) -> Destination:
    # `secret` deliberately not marked secret: the notifier must redact it anyway.
    return Destination(
        kind=ChannelKind.WEBHOOK, name="customer-hook", settings={"url": url, "secret": secret}
    )


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log record, so secret checks see debug output too."""
    caplog.set_level(logging.DEBUG)


@pytest.fixture
def clock() -> FakeClock:
    """The clock both the notifier and the receiver read."""
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeWebhookReceiver:
    """A fresh receiver sharing the fake clock (served by the `url` fixture)."""
    return FakeWebhookReceiver(clock=clock)


@pytest.fixture
def url(fake: FakeWebhookReceiver) -> Iterator[str]:
    """Serve `fake` on loopback; yield its hook URL; fail on surprises at the end."""
    with running(fake) as base:
        yield base + PATH


@pytest.fixture
def notifier(clock: FakeClock) -> Iterator[WebhookNotifier]:
    """A notifier over the shared client settings and the fake clock."""
    with make_client() as client:
        yield WebhookNotifier(client, clock)


def test_trigger_posts_a_signed_event_with_the_incident(
    fake: FakeWebhookReceiver, url: str, notifier: WebhookNotifier
) -> None:
    delivery = notifier.send(_message(), _destination(url))

    assert delivery == Delivery.sent()
    (request,) = fake.take()
    assert request.headers["idempotency-key"] == "outbox-7"
    assert request.headers["user-agent"] == "Fireline"
    assert request.headers["x-fireline-signature"].startswith(f"t={int(START.timestamp())},v1=")
    assert verify(
        secret=SECRET,
        header=request.headers["x-fireline-signature"],
        body=request.body,
        now=START,
    )
    body = request.json()
    assert body.pop("sent_at").startswith("2026-01-05T09:00:00.0000")
    assert body == {
        "event": "incident.triggered",
        "idempotency_key": "outbox-7",
        "incident": {
            "ref": "INC-42",
            "title": "Queue saturated",
            "severity": "SEV2",
            "status": "triggered",
            "service": "job-queue",
            "summary": "Depth 92% of capacity.",
            "runbook_url": "https://runbooks.example/queue",
            "incident_url": "https://fireline.example/incidents/INC-42",
            "regions": ["eu-west-1"],
            "opened_at": "2026-01-05T08:55:00+00:00",
        },
        "recipient": "alice",
        "step": 2,
        "details": {"actor": "bob"},
    }


@pytest.mark.parametrize(
    ("kind", "event"),
    [
        (MessageKind.ACKNOWLEDGE, "incident.acknowledged"),
        (MessageKind.RESOLVE, "incident.resolved"),
        (MessageKind.TEST, "incident.test"),
    ],
)
def test_each_kind_has_its_event_name(
    fake: FakeWebhookReceiver,
    url: str,
    notifier: WebhookNotifier,
    kind: MessageKind,
    event: str,
) -> None:
    assert notifier.send(_message(kind), _destination(url)).outcome is Outcome.SENT

    assert fake.take()[0].json()["event"] == event


def test_a_retry_hours_later_is_signed_afresh_and_still_accepted(
    fake: FakeWebhookReceiver, url: str, notifier: WebhookNotifier, clock: FakeClock
) -> None:
    fake.fail_next(503)
    assert notifier.send(_message(), _destination(url)).outcome is Outcome.RETRY
    clock.advance(hours=2)

    assert notifier.send(_message(), _destination(url)).outcome is Outcome.SENT

    (request,) = fake.take()
    assert request.headers["idempotency-key"] == "outbox-7"
    assert request.headers["x-fireline-signature"].startswith(f"t={int(clock.now().timestamp())}")
    first, second = fake.attempts
    assert first.headers["x-fireline-signature"] != second.headers["x-fireline-signature"]


def test_a_receiver_with_another_secret_refuses_and_delivery_fails(
    fake: FakeWebhookReceiver, url: str, notifier: WebhookNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    other = "whsec_some_other_secret_value"

    delivery = notifier.send(_message(), _destination(url, secret=other))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 401" in delivery.reason
    assert_no_secret(delivery, caplog, other)
    assert [r.split(": ")[-1] for r in fake.take_refusals()] == ["signature does not match"]


def test_429_is_retried_after_the_receivers_retry_after(
    fake: FakeWebhookReceiver, url: str, notifier: WebhookNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(429, retry_after="30")

    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after == timedelta(seconds=30)
    assert_no_secret(delivery, caplog, SECRET)


def test_server_error_is_retried(
    fake: FakeWebhookReceiver, url: str, notifier: WebhookNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(500)

    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert_no_secret(delivery, caplog, SECRET)


def test_client_error_fails_for_good(
    fake: FakeWebhookReceiver, url: str, notifier: WebhookNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(410)

    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 410" in delivery.reason
    assert_no_secret(delivery, caplog, SECRET)


def test_timeout_is_retried(
    fake: FakeWebhookReceiver, url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake.delay_next(0.6)

    with make_client(timeout=httpx.Timeout(0.2)) as client:
        delivery = WebhookNotifier(client, clock).send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert "timed out" in delivery.reason
    assert_no_secret(delivery, caplog, SECRET)
    fake.take()  # the receiver still got it: the Idempotency-Key lets it drop the retry


def test_connection_refused_is_retried(
    notifier: WebhookNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = notifier.send(_message(), _destination(closed_port_url(PATH)))

    assert delivery.outcome is Outcome.RETRY
    assert_no_secret(delivery, caplog, SECRET)


def test_a_secret_echoed_by_the_receiver_is_redacted(
    fake: FakeWebhookReceiver, url: str, notifier: WebhookNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.answer_next(400, body={"error": f"we do not accept {SECRET}"})  # a careless receiver

    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.FAILED
    assert "<redacted>" in delivery.reason
    assert_no_secret(delivery, caplog, SECRET)


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"url": "", "secret": SECRET}, "no usable url"),
        ({"url": "mailto:ops@example.com", "secret": SECRET}, "no usable url"),
        ({"url": "https://hooks.example/x", "secret": ""}, "no secret"),
        ({"url": "https://hooks.example/x"}, "no secret"),
    ],
)
def test_misconfigured_destinations_fail_without_a_request(
    notifier: WebhookNotifier, settings: dict[str, str], words: str
) -> None:
    destination = Destination(kind=ChannelKind.WEBHOOK, name="customer-hook", settings=settings)

    delivery = notifier.send(_message(), destination)

    assert delivery.outcome is Outcome.FAILED
    assert words in delivery.reason


@pytest.mark.parametrize("url", ["http://bad..host/hook", "http://127.0.0.1:9/x\x00y"])
def test_a_url_httpx_cannot_encode_fails_instead_of_raising(
    notifier: WebhookNotifier, url: str
) -> None:
    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.FAILED
    assert delivery.reason.startswith("cannot ")


@pytest.mark.parametrize("key", ["", "outbox-7\r\nX-Evil: 1", "clé-7"])
def test_an_idempotency_key_that_cannot_be_a_header_fails(
    notifier: WebhookNotifier, key: str
) -> None:
    message = replace(_message(), idempotency_key=key)

    delivery = notifier.send(message, _destination("http://127.0.0.1:9/hook"))

    assert delivery.outcome is Outcome.FAILED
    assert "cannot be an HTTP header" in delivery.reason
