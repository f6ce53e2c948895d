"""Twilio SMS and voice notifiers against FakeTwilio on loopback: content, outcomes, no leaks."""

from __future__ import annotations

import base64
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message, MessageKind
from fireline.integrations.delivery import make_client
from fireline.integrations.sms import (
    TwilioNotifier,
    TwilioSmsNotifier,
    TwilioVoiceNotifier,
    is_e164,
    sms_text,
)
from tests.fakes.server import running
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, INVALID_NUMBER, FakeTwilio
from tests.support.messages import assert_no_secret, closed_port_url, make_brief, make_message

TO = "+447700900123"
BRIEF = make_brief(summary="Depth 92% of capacity; this long summary stays out of pages.")


def _message(kind: MessageKind = MessageKind.TRIGGER, **changes: Any) -> Message:
    return make_message(kind, brief=BRIEF, **changes)


def _destination(
    url: str, *, kind: ChannelKind = ChannelKind.SMS, to: str = TO, **settings: str
) -> Destination:
    # auth_token deliberately not marked secret: the notifier must redact it anyway.
    values = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from": FROM_NUMBER}
    return Destination(
        kind=kind, name="alice-phone", address=to, settings={**values, "url": url, **settings}
    )


def _said(twiml: str) -> tuple[str, str | None]:
    root = ET.fromstring(twiml)  # our own test input, not untrusted XML
    (say,) = root.iter("Say")
    return say.text or "", say.get("loop")


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log record, so secret checks see debug output too."""
    caplog.set_level(logging.DEBUG)


@pytest.fixture
def fake() -> FakeTwilio:
    """A fresh fake Twilio account (served by the `url` fixture)."""
    return FakeTwilio()


@pytest.fixture
def url(fake: FakeTwilio) -> Iterator[str]:
    """Serve `fake` on loopback; yield its base URL; fail on surprises at the end."""
    with running(fake) as base:
        yield base


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """The shared client settings."""
    with make_client() as shared:
        yield shared


@pytest.fixture
def sms(client: httpx.Client) -> TwilioSmsNotifier:
    """The SMS notifier."""
    return TwilioSmsNotifier(client)


@pytest.fixture
def voice(client: httpx.Client) -> TwilioVoiceNotifier:
    """The voice notifier."""
    return TwilioVoiceNotifier(client)


def test_sms_trigger_sends_headline_and_links_and_returns_the_message_sid(
    fake: FakeTwilio, url: str, sms: TwilioSmsNotifier
) -> None:
    delivery = sms.send(_message(), _destination(url))

    assert delivery == Delivery.sent(f"SM{1:032x}")
    (request,) = fake.take()
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {credentials}"
    assert request.form() == {
        "To": [TO],
        "From": [FROM_NUMBER],
        "Body": [
            "[SEV2] INC-42 triggered: Queue saturated (job-queue)\n"
            "Runbook: https://runbooks.example/queue\n"
            "Incident INC-42: https://fireline.example/incidents/INC-42"
        ],
    }


def test_sms_acknowledge_says_who(fake: FakeTwilio, url: str, sms: TwilioSmsNotifier) -> None:
    message = _message(MessageKind.ACKNOWLEDGE, status="acknowledged", details={"actor": "alice"})

    assert sms.send(message, _destination(url)).outcome is Outcome.SENT

    body = fake.take()[0].form()["Body"][0]
    assert body.splitlines()[:2] == [
        "[SEV2] INC-42 acknowledged: Queue saturated (job-queue)",
        "Acknowledged by alice.",
    ]


def test_sms_body_is_cut_to_twilios_limit(
    fake: FakeTwilio, url: str, sms: TwilioSmsNotifier
) -> None:
    long_url = "https://runbooks.example/" + "x" * 3000
    message = _message(title="T" * 2000, runbook_url=long_url)

    assert sms.send(message, _destination(url)).outcome is Outcome.SENT

    body = fake.take()[0].form()["Body"][0]
    assert len(body) == 1600
    assert body.endswith("…")


def test_voice_call_says_the_page_twice_in_escaped_twiml(
    fake: FakeTwilio, url: str, voice: TwilioVoiceNotifier
) -> None:
    message = _message(title="Disk <full> & burning")

    delivery = voice.send(message, _destination(url, kind=ChannelKind.VOICE))

    assert delivery == Delivery.sent(f"CA{1:032x}")
    (request,) = fake.take()
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    form = request.form()
    assert set(form) == {"To", "From", "Twiml"}
    assert "&lt;full&gt; &amp; burning" in form["Twiml"][0]
    assert _said(form["Twiml"][0]) == (
        "Fireline page. Severity 2 incident INC-42 triggered: Disk <full> & burning. "
        "Service job-queue.",
        "2",
    )


def test_voice_resolve_says_who_resolved(
    fake: FakeTwilio, url: str, voice: TwilioVoiceNotifier
) -> None:
    message = _message(MessageKind.RESOLVE, details={"actor": "bob", "note": "rolled back"})

    assert voice.send(message, _destination(url, kind=ChannelKind.VOICE)).outcome is Outcome.SENT

    text, _ = _said(fake.take()[0].form()["Twiml"][0])
    assert text.endswith(
        "resolved: Queue saturated. Service job-queue. Resolved by bob: rolled back"
    )


@pytest.mark.parametrize(
    "number", ["", "4155550100", "+0123456789", "+1234567", "+1234567890123456", "+1 415 555 0100"]
)
def test_a_number_that_is_not_e164_fails_without_a_request(
    sms: TwilioSmsNotifier, number: str
) -> None:
    delivery = sms.send(_message(), _destination("http://127.0.0.1:9", to=number))

    assert delivery.outcome is Outcome.FAILED
    assert "E.164" in delivery.reason


@pytest.mark.parametrize("number", ["+12345678", "+123456789012345", TO])
def test_e164_takes_8_to_15_digits(number: str) -> None:
    assert is_e164(number)


def test_twilio_rejecting_the_number_fails_for_good(
    fake: FakeTwilio, url: str, sms: TwilioSmsNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = sms.send(_message(), _destination(url, to=INVALID_NUMBER))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 400" in delivery.reason
    assert "21211" in delivery.reason
    assert fake.created == 0
    assert_no_secret(delivery, caplog, AUTH_TOKEN)


def test_a_wrong_auth_token_fails_and_is_not_repeated(
    fake: FakeTwilio, url: str, sms: TwilioSmsNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "tw-wrong-token-fedcba9876543210"

    delivery = sms.send(_message(), _destination(url, auth_token=wrong))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 401" in delivery.reason
    assert_no_secret(delivery, caplog, wrong)
    assert [r.split(": ")[-1] for r in fake.take_refusals()] == ["20003 Authenticate"]


def test_429_is_retried_after_twilios_retry_after(
    fake: FakeTwilio, url: str, sms: TwilioSmsNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(429, retry_after="12")

    delivery = sms.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after == timedelta(seconds=12)
    assert_no_secret(delivery, caplog, AUTH_TOKEN)


def test_server_error_is_retried(
    fake: FakeTwilio, url: str, voice: TwilioVoiceNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(503)

    delivery = voice.send(_message(), _destination(url, kind=ChannelKind.VOICE))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.provider_ref is None
    assert_no_secret(delivery, caplog, AUTH_TOKEN)


def test_timeout_is_retried(fake: FakeTwilio, url: str, caplog: pytest.LogCaptureFixture) -> None:
    fake.delay_next(0.6)

    with make_client(timeout=httpx.Timeout(0.2)) as client:
        delivery = TwilioSmsNotifier(client).send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert "timed out" in delivery.reason
    assert_no_secret(delivery, caplog, AUTH_TOKEN)
    fake.take()  # Twilio still sends it: a retry after a timeout can page twice


def test_connection_refused_is_retried(
    sms: TwilioSmsNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = sms.send(_message(), _destination(closed_port_url()))

    assert delivery.outcome is Outcome.RETRY
    assert "could not reach" in delivery.reason
    assert_no_secret(delivery, caplog, AUTH_TOKEN)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"account_sid": ""}, "account_sid"),
        ({"account_sid": "AC/../../evil"}, "account_sid"),
        ({"auth_token": ""}, "auth_token"),
        ({"from": "TWILIO"}, "`from` number"),
        ({"url": "api.twilio.com"}, "url"),
    ],
)
def test_misconfigured_destinations_fail_without_a_request(
    sms: TwilioSmsNotifier, changes: dict[str, str], words: str, caplog: pytest.LogCaptureFixture
) -> None:
    destination = _destination("http://127.0.0.1:9")
    destination = replace(destination, settings={**destination.settings, **changes})

    delivery = sms.send(_message(), destination)

    assert delivery.outcome is Outcome.FAILED
    assert words in delivery.reason
    assert_no_secret(delivery, caplog, AUTH_TOKEN)


def test_the_default_url_is_twilios() -> None:
    destination = _destination("")
    destination = replace(destination, settings={**destination.settings, "url": ""})
    transport = httpx.MockTransport(
        lambda request: httpx.Response(201, json={"sid": str(request.url)})
    )

    with httpx.Client(transport=transport) as client:
        delivery = TwilioSmsNotifier(client).send(_message(), destination)

    assert delivery.provider_ref == (
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    )


def test_twilio_sends_only_sms_and_voice() -> None:
    with make_client() as client, pytest.raises(ValueError, match="sms or voice"):
        TwilioNotifier(client, kind=ChannelKind.EMAIL)


def test_sms_text_of_a_test_message_says_no_action() -> None:
    assert "no action is needed" in sms_text(_message(MessageKind.TEST))


def test_a_url_httpx_cannot_encode_fails_instead_of_raising(sms: TwilioSmsNotifier) -> None:
    delivery = sms.send(_message(), _destination("http://bad..host"))

    assert delivery.outcome is Outcome.FAILED
    assert delivery.reason.startswith("cannot ")
