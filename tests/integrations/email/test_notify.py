"""EmailNotifier against FakeSmtp (aiosmtpd) on loopback: content, security, outcomes, no leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message, MessageKind
from fireline.integrations.email import EmailNotifier
from tests.fakes.smtp import FakeSmtp
from tests.support.messages import assert_no_secret, closed_port, make_brief, make_message
from tests.support.tls import LoopbackTls

CREATED_AT = datetime(2026, 1, 5, 9, 0, 12, tzinfo=UTC)
USERNAME = "fireline"
PASSWORD = "smtp-Pa55word-never-shown"
TO = "alice@example.com"
BRIEF = make_brief(
    summary="Depth 92% of capacity.\nWorkers are healthy.",
    runbook_url="https://runbooks.example/queue?team=jobs&step=2",
    opened_at=CREATED_AT,
)
# `mail.log` is aiosmtpd, the fake server, logging what it says; everything else is ours.
SERVER_LOGGERS = ("mail.log",)


def _message(kind: MessageKind = MessageKind.TRIGGER, **changes: Any) -> Message:
    return make_message(kind, brief=BRIEF, created_at=CREATED_AT, **changes)


def _destination(smtp: FakeSmtp | None = None, *, to: str = TO, **settings: str) -> Destination:
    # password deliberately not marked secret: the notifier must redact it anyway.
    values = {
        "host": "127.0.0.1",
        "port": str(smtp.port if smtp else closed_port()),
        "from": "Fireline <fireline@example.com>",
        "security": smtp.security if smtp else "none",
        "timeout_s": "5",
    }
    if smtp is not None and smtp.credentials is not None:
        values |= {"username": USERNAME, "password": PASSWORD}
    return Destination(
        kind=ChannelKind.EMAIL, name="alice-mail", address=to, settings=values | settings
    )


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log record (aiosmtpd's too), so secret checks see debug output."""
    caplog.set_level(logging.DEBUG)


@pytest.fixture(scope="module")
def tls() -> LoopbackTls:
    """One throwaway CA and loopback certificate for the module."""
    return LoopbackTls()


@pytest.fixture
def notifier(tls: LoopbackTls) -> EmailNotifier:
    """A notifier that trusts the test CA."""
    return EmailNotifier(tls_context=tls.client_context())


@pytest.fixture
def smtp(tls: LoopbackTls) -> Iterator[FakeSmtp]:
    """A relay requiring STARTTLS and AUTH, as a real submission port does."""
    with FakeSmtp(security="starttls", tls=tls, credentials=(USERNAME, PASSWORD)) as fake:
        yield fake


@pytest.fixture
def plain() -> Iterator[FakeSmtp]:
    """A plain relay without TLS or AUTH, as a local MTA is."""
    with FakeSmtp() as fake:
        yield fake


def test_trigger_is_sent_over_starttls_with_auth_as_text_and_html(
    smtp: FakeSmtp, notifier: EmailNotifier
) -> None:
    delivery = notifier.send(_message(), _destination(smtp))

    (mail,) = smtp.take()
    assert delivery == Delivery.sent(mail.message["Message-ID"])
    assert (mail.mail_from, mail.rcpt_tos) == ("fireline@example.com", [TO])
    headers = mail.message
    assert headers["Subject"] == "[SEV2] INC-42 triggered: Queue saturated (job-queue)"
    assert headers["From"] == "Fireline <fireline@example.com>"
    assert headers["To"] == TO
    assert headers["Date"] == "Mon, 05 Jan 2026 09:00:12 +0000"
    assert headers["X-Fireline-Idempotency-Key"] == "outbox-7"
    assert headers["Message-ID"].endswith("@example.com>")
    assert mail.part("text/plain") == (
        "[SEV2] INC-42 triggered: Queue saturated (job-queue)\n"
        "\n"
        "Severity: SEV2\n"
        "Service: job-queue\n"
        "Status: triggered\n"
        "Regions: eu-west-1\n"
        "Summary: Depth 92% of capacity.\n"
        "Workers are healthy.\n"
        "Runbook: https://runbooks.example/queue?team=jobs&step=2\n"
        "Incident INC-42: https://fireline.example/incidents/INC-42\n"
        "\n"
        "Sent by Fireline to page alice (escalation step 1).\n"
    )
    page = mail.part("text/html")
    assert '<a href="https://runbooks.example/queue?team=jobs&amp;step=2">Runbook</a>' in page
    assert "<p>Depth 92% of capacity.<br>Workers are healthy.</p>" in page


def test_acknowledge_says_who_in_both_parts(smtp: FakeSmtp, notifier: EmailNotifier) -> None:
    message = _message(
        MessageKind.ACKNOWLEDGE, status="acknowledged", details={"actor": "Bob <bob@x>"}
    )

    assert notifier.send(message, _destination(smtp)).outcome is Outcome.SENT

    (mail,) = smtp.take()
    assert mail.message["Subject"].startswith("[SEV2] INC-42 acknowledged:")
    assert mail.part("text/plain").splitlines()[2] == "Acknowledged by Bob <bob@x>."
    assert "<strong>Acknowledged by Bob &lt;bob@x&gt;.</strong>" in mail.part("text/html")


def test_html_escapes_everything_from_the_incident(
    plain: FakeSmtp, notifier: EmailNotifier
) -> None:
    message = _message(
        title='<script>alert("x")</script>',
        summary="<img src=x onerror=alert(1)>",
        runbook_url="javascript:alert(1)",
    )

    assert notifier.send(message, _destination(plain)).outcome is Outcome.SENT

    page = plain.take()[0].part("text/html")
    assert "<script>" not in page
    assert "<img" not in page
    assert "javascript:" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_implicit_tls_is_supported(tls: LoopbackTls, notifier: EmailNotifier) -> None:
    with FakeSmtp(security="tls", tls=tls, credentials=(USERNAME, PASSWORD)) as smtp:
        delivery = notifier.send(_message(), _destination(smtp))
        assert delivery.outcome is Outcome.SENT
        smtp.take()
        assert smtp.logins == 1


def test_a_retry_sends_the_same_message_id(plain: FakeSmtp, notifier: EmailNotifier) -> None:
    plain.fail_next("451 4.3.0 Try again later")
    first = notifier.send(_message(), _destination(plain))

    second = notifier.send(_message(), _destination(plain))

    assert first.outcome is Outcome.RETRY
    assert second.outcome is Outcome.SENT
    (mail,) = plain.take()
    assert second.provider_ref == mail.message["Message-ID"]
    other = notifier.send(replace(_message(), idempotency_key="outbox-8"), _destination(plain))
    assert other.provider_ref != second.provider_ref
    plain.take()


@pytest.mark.parametrize(
    ("reply", "at", "outcome"),
    [
        ("451 4.3.0 Try again later", "DATA", Outcome.RETRY),
        ("452 4.2.2 Mailbox full", "RCPT", Outcome.RETRY),
        ("421 4.7.0 Too busy", "MAIL", Outcome.RETRY),
        ("550 5.1.1 No such user here", "RCPT", Outcome.FAILED),
        ("554 5.7.1 Message rejected as spam", "DATA", Outcome.FAILED),
    ],
)
def test_smtp_replies_are_retried_when_4xx_and_fail_when_5xx(
    smtp: FakeSmtp,
    notifier: EmailNotifier,
    caplog: pytest.LogCaptureFixture,
    reply: str,
    at: str,
    outcome: Outcome,
) -> None:
    smtp.fail_next(reply, at=at)

    delivery = notifier.send(_message(), _destination(smtp))

    assert delivery.outcome is outcome
    assert reply.split(" ", 1)[1] in delivery.reason
    assert f"SMTP {reply[:3]}" in delivery.reason
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)


def test_a_wrong_password_fails_for_good(
    smtp: FakeSmtp, notifier: EmailNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-Pa55word-either"

    delivery = notifier.send(_message(), _destination(smtp, password=wrong))

    assert delivery.outcome is Outcome.FAILED
    assert "SMTP 535" in delivery.reason
    assert_no_secret(delivery, caplog, wrong)
    assert smtp.sessions == 0


def test_a_password_echoed_by_the_server_is_redacted(
    smtp: FakeSmtp, notifier: EmailNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    smtp.fail_next(f"553 5.7.1 sender not allowed for login {PASSWORD}", at="MAIL")

    delivery = notifier.send(_message(), _destination(smtp))

    assert delivery.outcome is Outcome.FAILED
    assert "<redacted>" in delivery.reason
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)


def test_timeout_is_retried(
    plain: FakeSmtp, notifier: EmailNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    plain.delay_next(1.0)

    delivery = notifier.send(_message(), _destination(plain, timeout_s="0.2"))

    assert delivery.outcome is Outcome.RETRY
    assert "timed out" in delivery.reason
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)


def test_connection_refused_is_retried(
    notifier: EmailNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = notifier.send(_message(), _destination())

    assert delivery.outcome is Outcome.RETRY
    assert "could not talk to SMTP server" in delivery.reason
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)


def test_starttls_required_but_not_offered_fails(
    plain: FakeSmtp, notifier: EmailNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = notifier.send(_message(), _destination(plain, security="starttls"))

    assert delivery.outcome is Outcome.FAILED
    assert "does not support" in delivery.reason
    assert plain.sessions == 0
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)


def test_an_untrusted_certificate_fails(smtp: FakeSmtp, caplog: pytest.LogCaptureFixture) -> None:
    delivery = EmailNotifier().send(_message(), _destination(smtp))  # the system trust store

    assert delivery.outcome is Outcome.FAILED
    assert "untrusted certificate" in delivery.reason
    assert smtp.sessions == 0
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)


def test_a_password_is_never_sent_unencrypted(
    notifier: EmailNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    destination = _destination(username=USERNAME, password=PASSWORD, security="none")

    delivery = notifier.send(_message(), destination)

    assert delivery.outcome is Outcome.FAILED
    assert "unencrypted" in delivery.reason
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)


@pytest.mark.parametrize(
    ("settings", "to", "words"),
    [
        ({"host": ""}, TO, "no SMTP host"),
        ({"port": "smtp"}, TO, "port"),
        ({"port": "70000"}, TO, "port"),
        ({"port": "25.5"}, TO, "port"),
        ({"security": "ssl"}, TO, "use none, starttls or tls"),
        ({"timeout_s": "nan"}, TO, "timeout_s"),
        ({"timeout_s": "0"}, TO, "timeout_s"),
        ({"from": "Fireline"}, TO, "`from` address"),
        ({}, "alice", "not an e-mail address"),
        ({}, "alice@example.com\r\nBcc: eve@example.com", "not an e-mail address"),
        ({"password": PASSWORD, "security": "tls"}, TO, "no username"),
    ],
)
def test_misconfigured_destinations_fail_without_connecting(
    notifier: EmailNotifier,
    caplog: pytest.LogCaptureFixture,
    settings: dict[str, str],
    to: str,
    words: str,
) -> None:
    delivery = notifier.send(_message(), _destination(to=to, **settings))

    assert delivery.outcome is Outcome.FAILED
    assert words in delivery.reason
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)


def test_an_idempotency_key_that_cannot_be_a_header_fails(
    notifier: EmailNotifier,
) -> None:
    message = replace(_message(), idempotency_key="outbox-7\r\nBcc: eve@example.com")

    delivery = notifier.send(message, _destination())

    assert delivery.outcome is Outcome.FAILED
    assert "could not build the e-mail" in delivery.reason


def test_non_ascii_text_survives_headers_and_both_parts(
    plain: FakeSmtp, notifier: EmailNotifier
) -> None:
    # Short enough that the Subject is not folded: Python 3.11 folds a long non-ASCII Subject
    # between two encoded words and so drops the space there (CPython gh-144156).
    message = _message(title="Zähler ☃ voll", service="zähler")
    destination = _destination(plain, **{"from": "Förline <f@example.com>"})

    assert notifier.send(message, destination).outcome is Outcome.SENT

    (mail,) = plain.take()
    assert mail.message["Subject"] == "[SEV2] INC-42 triggered: Zähler ☃ voll (zähler)"
    assert mail.message["From"] == "Förline <f@example.com>"
    assert "Zähler ☃ voll" in mail.part("text/plain")
    assert "Zähler ☃ voll" in mail.part("text/html")


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"password": "pässwörd-non-ascii"}, "cannot be used with these settings"),
        ({"host": "bad..host"}, "cannot be used with these settings"),
    ],
)
def test_settings_smtplib_cannot_encode_fail_instead_of_raising(
    smtp: FakeSmtp,
    notifier: EmailNotifier,
    caplog: pytest.LogCaptureFixture,
    settings: dict[str, str],
    words: str,
) -> None:
    delivery = notifier.send(_message(), _destination(smtp, **settings))

    assert delivery.outcome is Outcome.FAILED
    assert words in delivery.reason
    assert "pässwörd-non-ascii" not in delivery.reason
    assert_no_secret(delivery, caplog, PASSWORD, except_loggers=SERVER_LOGGERS)
