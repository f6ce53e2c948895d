"""SlackNotifier against FakeSlack on loopback: Block Kit content, outcomes, no leaked hook."""

from __future__ import annotations

import logging
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
from fireline.integrations.slack import SlackNotifier, build_payload
from tests.fakes.server import running
from tests.fakes.slack import SECRET, FakeSlack
from tests.support.messages import assert_no_secret, closed_port_url, make_brief, make_message

RUNBOOK = "https://runbooks.example/queue?team=jobs&step=2"
BRIEF = make_brief(
    summary="Depth 92% of capacity & rising for <10 min>.",
    runbook_url=RUNBOOK,
    regions=("eu-west-1", "eu-central-1"),
)
# httpx itself logs every request URL at INFO; the application keeps the `httpx` logger at
# WARNING or above, so only Fireline's and other libraries' records are held to the secret check.
QUIET_LOGGERS = ("httpx",)


def _message(kind: MessageKind = MessageKind.TRIGGER, **changes: Any) -> Message:
    return make_message(kind, brief=BRIEF, **changes)


def _destination(url: str) -> Destination:
    # Deliberately not marked secret: the notifier must treat the URL as the credential anyway.
    return Destination(kind=ChannelKind.SLACK, name="ops-channel", settings={"webhook_url": url})


def _request_text(body: dict[str, Any]) -> str:
    """Every mrkdwn text of a Slack body, joined (for looking things up)."""
    sections = [b for b in body["blocks"] if b["type"] == "section"]
    return "\n".join(s["text"]["text"] for s in sections if "text" in s)


def _blocks_of(request_json: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in request_json["blocks"] if b["type"] == kind]


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log record, so secret checks see debug output too."""
    caplog.set_level(logging.DEBUG)


@pytest.fixture
def fake() -> FakeSlack:
    """A fresh fake Slack webhook (served by the `hook` fixture)."""
    return FakeSlack()


@pytest.fixture
def hook(fake: FakeSlack) -> Iterator[str]:
    """Serve `fake` on loopback; yield its webhook URL; fail on surprises at the end."""
    with running(fake) as base:
        yield fake.webhook_url(base)


@pytest.fixture
def notifier() -> Iterator[SlackNotifier]:
    """A notifier over the shared client settings."""
    with make_client() as client:
        yield SlackNotifier(client)


def test_trigger_posts_header_facts_summary_and_links(
    fake: FakeSlack, hook: str, notifier: SlackNotifier
) -> None:
    delivery = notifier.send(_message(), _destination(hook))

    assert delivery == Delivery.sent()
    (request,) = fake.take()
    body = request.json()
    assert body["text"] == "[SEV2] INC-42 triggered: Queue saturated (job-queue)"
    (header,) = _blocks_of(body, "header")
    assert header["text"] == {
        "type": "plain_text",
        "text": "[SEV2] INC-42 triggered: Queue saturated (job-queue)",
    }
    sections = _blocks_of(body, "section")
    fields = [f["text"] for s in sections for f in s.get("fields", [])]
    assert fields == [
        "*Severity*\nSEV2",
        "*Service*\njob-queue",
        "*Status*\ntriggered",
        "*Regions*\neu-west-1, eu-central-1",
    ]
    texts = [s["text"]["text"] for s in sections if "text" in s]
    assert "Depth 92% of capacity &amp; rising for &lt;10 min&gt;." in texts
    assert (
        "<https://runbooks.example/queue?team=jobs&amp;step=2|Runbook>  ·  "
        "<https://fireline.example/incidents/INC-42|Incident INC-42>"
    ) in texts
    (context,) = _blocks_of(body, "context")
    assert context["elements"][0]["text"] == "Paging alice · escalation step 1"


@pytest.mark.parametrize(
    ("kind", "details", "said"),
    [
        (
            MessageKind.ACKNOWLEDGE,
            {"actor": "alice", "note": "on it"},
            "Acknowledged by alice: on it",
        ),
        (MessageKind.RESOLVE, {"actor": "bob"}, "Resolved by bob."),
        (MessageKind.RESOLVE, {}, "Resolved."),
    ],
)
def test_ack_and_resolve_say_who_changed_the_incident(
    fake: FakeSlack,
    hook: str,
    notifier: SlackNotifier,
    kind: MessageKind,
    details: dict[str, str],
    said: str,
) -> None:
    status = "acknowledged" if kind is MessageKind.ACKNOWLEDGE else "resolved"
    message = _message(kind, status=status, details=details)

    assert notifier.send(message, _destination(hook)).outcome is Outcome.SENT

    body = fake.take()[0].json()
    assert body["text"] == f"[SEV2] INC-42 {status}: Queue saturated (job-queue)"
    first_section = _blocks_of(body, "section")[0]
    assert first_section["text"]["text"] == said
    assert f"*Status*\n{status}" in [f["text"] for f in _blocks_of(body, "section")[1]["fields"]]


def test_test_message_says_no_action_is_needed(
    fake: FakeSlack, hook: str, notifier: SlackNotifier
) -> None:
    assert notifier.send(_message(MessageKind.TEST), _destination(hook)).outcome is Outcome.SENT

    body = fake.take()[0].json()
    assert body["text"].startswith("[SEV2] INC-42 test notification:")
    assert "no action is needed" in _blocks_of(body, "section")[0]["text"]["text"]


def test_mentions_and_markup_in_incident_text_are_escaped_not_obeyed(
    fake: FakeSlack, hook: str, notifier: SlackNotifier
) -> None:
    message = _message(title="<!channel> disk <full> & burning", service="db<1>")

    assert notifier.send(message, _destination(hook)).outcome is Outcome.SENT

    body = fake.take()[0].json()  # the fake refuses any unescaped < > &
    assert body["text"] == (
        "[SEV2] INC-42 triggered: &lt;!channel&gt; disk &lt;full&gt; &amp; burning (db&lt;1&gt;)"
    )


def test_long_text_is_cut_to_block_kit_limits(
    fake: FakeSlack, hook: str, notifier: SlackNotifier
) -> None:
    message = _message(
        title="T" * 400,
        summary="&" * 5000,
        regions=tuple(f"r{i}" for i in range(900)),
        runbook_url="https://runbooks.example/" + "x" * 3000,
    )

    assert notifier.send(message, _destination(hook)).outcome is Outcome.SENT

    body = fake.take()[0].json()  # the fake refuses anything over Slack's limits
    header = _blocks_of(body, "header")[0]["text"]["text"]
    assert len(header) == 150
    assert header.endswith("…")
    assert "runbooks.example" not in _request_text(body)
    assert "<https://fireline.example/incidents/INC-42|Incident INC-42>" in _request_text(body)


def test_links_that_are_not_http_are_left_out(
    fake: FakeSlack, hook: str, notifier: SlackNotifier
) -> None:
    message = _message(runbook_url="javascript:alert(1)", incident_url=None)

    assert notifier.send(message, _destination(hook)).outcome is Outcome.SENT

    assert "javascript" not in fake.take()[0].body.decode()


def test_429_is_retried_after_slacks_retry_after(
    fake: FakeSlack, hook: str, notifier: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(429, retry_after="7")

    delivery = notifier.send(_message(), _destination(hook))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after == timedelta(seconds=7)
    assert "HTTP 429" in delivery.reason
    assert_no_secret(delivery, caplog, SECRET, except_loggers=QUIET_LOGGERS)


def test_server_error_is_retried(
    fake: FakeSlack, hook: str, notifier: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(500)

    delivery = notifier.send(_message(), _destination(hook))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after is None
    assert_no_secret(delivery, caplog, SECRET, except_loggers=QUIET_LOGGERS)


def test_archived_channel_fails_for_good(
    fake: FakeSlack, hook: str, notifier: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.archive_channel()

    delivery = notifier.send(_message(), _destination(hook))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 410" in delivery.reason
    assert "channel_is_archived" in delivery.reason
    assert_no_secret(delivery, caplog, SECRET, except_loggers=QUIET_LOGGERS)


def test_revoked_webhook_fails_and_the_reason_hides_the_url(
    fake: FakeSlack, hook: str, notifier: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    fake.revoke()

    delivery = notifier.send(_message(), _destination(hook))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 404" in delivery.reason
    assert "no_service" in delivery.reason
    assert "<redacted>" in delivery.reason
    assert_no_secret(delivery, caplog, SECRET, except_loggers=QUIET_LOGGERS)


def test_a_webhook_slack_never_issued_fails(
    fake: FakeSlack, hook: str, notifier: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = hook.replace(SECRET, "n0tTheS3cretWeWereGiven1")

    delivery = notifier.send(_message(), _destination(wrong))

    assert delivery.outcome is Outcome.FAILED
    assert "n0tTheS3cretWeWereGiven1" not in delivery.reason
    assert [r.split(": ")[-1] for r in fake.take_refusals()] == ["not the webhook this fake issued"]
    assert_no_secret(delivery, caplog, SECRET, except_loggers=QUIET_LOGGERS)


def test_timeout_is_retried(fake: FakeSlack, hook: str, caplog: pytest.LogCaptureFixture) -> None:
    fake.delay_next(0.6)

    with make_client(timeout=httpx.Timeout(0.2)) as client:
        delivery = SlackNotifier(client).send(_message(), _destination(hook))

    assert delivery.outcome is Outcome.RETRY
    assert "timed out" in delivery.reason
    assert_no_secret(delivery, caplog, SECRET, except_loggers=QUIET_LOGGERS)
    fake.take()  # Slack still posts the late message: retries can duplicate, as with any webhook


def test_connection_refused_is_retried(
    notifier: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = notifier.send(
        _message(), _destination(closed_port_url(f"/services/T0FIRELINE/B0FIRELINE/{SECRET}"))
    )

    assert delivery.outcome is Outcome.RETRY
    assert "could not reach" in delivery.reason
    assert_no_secret(delivery, caplog, SECRET, except_loggers=QUIET_LOGGERS)


@pytest.mark.parametrize("url", ["", "hooks.slack.com/services/x", "ftp://example.com/hook"])
def test_a_destination_without_an_http_webhook_url_fails_without_a_request(
    notifier: SlackNotifier, url: str
) -> None:
    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.FAILED
    assert "webhook_url" in delivery.reason


def test_payload_without_optional_parts_has_no_empty_blocks() -> None:
    message = replace(
        _message(summary="", runbook_url=None, incident_url=None, regions=()),
        recipient=None,
        step=None,
    )

    body = build_payload(message)

    assert [b["type"] for b in body["blocks"]] == ["header", "section"]


def test_the_fake_refuses_unescaped_mrkdwn(fake: FakeSlack, hook: str) -> None:
    # Guards the escaping tests above: they pass only because the fake would catch a `<!channel>`.
    with make_client() as client:
        answer = client.post(hook, json={"text": "<!channel> & more"})

    assert (answer.status_code, answer.text) == (400, "invalid_blocks")
    (refusal,) = fake.take_refusals()
    assert "unescaped mrkdwn" in refusal


@pytest.mark.parametrize("url", ["http://bad..host/services/x", "http://127.0.0.1:9/x\x00y"])
def test_a_url_httpx_cannot_encode_fails_instead_of_raising(
    notifier: SlackNotifier, url: str
) -> None:
    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.FAILED
    assert delivery.reason.startswith("cannot ")
    assert url not in delivery.reason  # the webhook URL is the secret
