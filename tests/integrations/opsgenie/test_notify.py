"""OpsgenieNotifier against FakeOpsgenie on loopback: alert calls, outcomes, no leaked key.

`payloads/` holds the create and close bodies Alertmanager 0.25 sent to Opsgenie (copied from
`shared/fixtures/alertmanager-0.25`); the fake must accept them, as the real API did.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from fireline.domain.incidents.severity import Severity
from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message, MessageKind
from fireline.integrations.delivery import make_client
from fireline.integrations.opsgenie.notify import DEFAULT_URL, OpsgenieNotifier, team_responders
from tests.fakes.opsgenie import FakeOpsgenie
from tests.fakes.server import running
from tests.support.messages import (
    DOC_QUEUE,
    DOC_QUEUE_CREATED_AT,
    DOC_QUEUE_RUNBOOK,
    INCIDENT_URL,
    assert_no_secret,
    closed_port_url,
    make_brief,
    make_message,
)

PAYLOADS = Path(__file__).parent / "payloads"
KEY = "5ec2e7a1-0b1e-55ed-9c4f-0123456789ab"  # must never be seen again
SHORT_TIMEOUT = httpx.Timeout(0.2)
BRIEF = make_brief(DOC_QUEUE, severity=Severity.SEV1, regions=("eu-west",))


def _message(
    kind: MessageKind = MessageKind.TRIGGER,
    *,
    details: dict[str, str] | None = None,
    **changes: Any,
) -> Message:
    return make_message(
        kind,
        brief=BRIEF,
        idempotency_key="outbox-9",
        created_at=DOC_QUEUE_CREATED_AT,
        recipient=None,
        step=2,
        details={"team": "doc-platform"} if details is None else details,
        **changes,
    )


def _destination(
    url: str, *, key: str = KEY, responders: str = "", secret: bool = True
) -> Destination:
    settings = {"api_key": key, "url": url}
    if responders:
        settings["responders"] = responders
    return Destination(
        kind=ChannelKind.OPSGENIE,
        name="ops",
        settings=settings,
        secrets=frozenset({"api_key"}) if secret else frozenset(),
    )


@pytest.fixture
def fake() -> FakeOpsgenie:
    """A fresh fake Opsgenie that knows KEY (served by the `url` fixture)."""
    return FakeOpsgenie(api_key=KEY)


@pytest.fixture
def url(fake: FakeOpsgenie) -> Iterator[str]:
    """Serve `fake` on loopback; yield its base URL; fail on surprises at the end."""
    with running(fake) as base:
        yield base


@pytest.fixture
def notifier() -> Iterator[OpsgenieNotifier]:
    """A notifier over the shared client settings."""
    with make_client() as client:
        yield OpsgenieNotifier(client)


@pytest.fixture
def impatient() -> Iterator[OpsgenieNotifier]:
    """A notifier whose client gives up after 0.2 s."""
    with make_client(timeout=SHORT_TIMEOUT) as client:
        yield OpsgenieNotifier(client)


def test_trigger_creates_an_alert_aliased_by_the_incident_ref(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    delivery = notifier.send(_message(), _destination(url, responders="doc-platform"))

    assert delivery.outcome is Outcome.SENT
    assert delivery.provider_ref in fake.requests  # Opsgenie's requestId
    (request,) = fake.take()
    assert (request.path, request.query) == ("/v2/alerts", {})
    assert request.headers["authorization"] == f"GenieKey {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "message": "[SEV1] Document queue saturated in eu-west",
        "alias": "INC-42",
        "description": "\n".join(
            [
                "Queue depth is 92% of capacity for 10 minutes.",
                "",
                "Incident: INC-42",
                "Status: triggered",
                "Service: queue",
                "Regions: eu-west",
                f"Runbook: {DOC_QUEUE_RUNBOOK}",
                f"Fireline: {INCIDENT_URL}",
            ]
        ),
        "priority": "P1",
        "source": "Fireline",
        "tags": ["fireline", "SEV1", "queue", "eu-west"],
        "details": {
            "ref": "INC-42",
            "status": "triggered",
            "severity": "SEV1",
            "service": "queue",
            "regions": "eu-west",
            "incident_url": INCIDENT_URL,
            "runbook_url": DOC_QUEUE_RUNBOOK,
            "opened_at": "2026-12-04T20:18:51.494000+00:00",
            "step": "2",
            "team": "doc-platform",
        },
        "entity": "queue",
        "responders": [{"type": "team", "name": "doc-platform"}],
    }
    alert = fake.alert("INC-42")
    assert alert is not None
    assert (alert.status, alert.acknowledged) == ("open", False)


@pytest.mark.parametrize("severity", list(Severity))
def test_priority_follows_severity(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier, severity: Severity
) -> None:
    notifier.send(_message(severity=severity), _destination(url))

    assert fake.take()[0].json()["priority"] == f"P{severity.rank}"


def test_responders_are_team_names_without_blanks_or_repeats() -> None:
    assert team_responders(" sre, dba,,sre , ") == [
        {"type": "team", "name": "sre"},
        {"type": "team", "name": "dba"},
    ]
    assert team_responders("") == []
    assert len(team_responders(",".join(f"team-{n}" for n in range(80)))) == 50


def test_every_field_is_bounded_to_opsgenies_limits(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    message = _message(
        title="t" * 500,
        summary="s" * 20_000,
        service="v" * 600,
        regions=tuple(f"region-{n}-{'r' * 60}" for n in range(30)),
        details={f"note-{n}": "d" * 900 for n in range(20)},
    )

    delivery = notifier.send(message, _destination(url))

    assert delivery.outcome is Outcome.SENT  # the fake enforces every limit
    body = fake.take()[0].json()
    assert len(body["message"]) == 130
    assert len(body["description"]) == 15_000
    assert len(body["entity"]) == 512
    assert len(body["tags"]) == 20
    assert all(len(tag) <= 50 for tag in body["tags"])
    assert sum(len(k) + len(v) for k, v in body["details"].items()) <= 8_000
    assert body["details"]["ref"] == "INC-42"  # our own details come first


def test_blank_optional_values_are_left_out(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    message = _message(
        service=" ", summary="", runbook_url=None, incident_url=None, regions=(), details={}
    )

    assert notifier.send(message, _destination(url)).outcome is Outcome.SENT

    body = fake.take()[0].json()
    assert {"entity", "responders"}.isdisjoint(body)
    assert body["tags"] == ["fireline", "SEV1"]
    assert "runbook_url" not in body["details"]
    assert body["description"].startswith("Document queue saturated in eu-west\n")


def test_acknowledge_and_resolve_act_on_the_alert_by_alias(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    destination = _destination(url)
    notifier.send(_message(), destination)
    fake.take()

    assert notifier.send(_message(MessageKind.ACKNOWLEDGE), destination).outcome is Outcome.SENT
    (ack,) = fake.take()
    assert (ack.path, ack.query) == ("/v2/alerts/INC-42/acknowledge", {"identifierType": "alias"})
    assert ack.json() == {"source": "Fireline", "note": "INC-42 was acknowledged in Fireline."}
    assert ack.headers["authorization"] == f"GenieKey {KEY}"

    assert notifier.send(_message(MessageKind.RESOLVE), destination).outcome is Outcome.SENT
    (close,) = fake.take()
    assert (close.path, close.query) == ("/v2/alerts/INC-42/close", {"identifierType": "alias"})
    assert close.json() == {"source": "Fireline", "note": "INC-42 was resolved in Fireline."}

    alert = fake.alert("INC-42")
    assert alert is not None
    assert (alert.status, alert.acknowledged) == ("closed", True)


@pytest.fixture
def eager() -> Iterator[OpsgenieNotifier]:
    """A notifier that polls a request's status four times without waiting between polls."""
    with make_client() as client:
        yield OpsgenieNotifier(client, status_poll_delays=(0.0, 0.0, 0.0, 0.0))


def test_a_request_is_polled_until_opsgenie_has_processed_it(
    fake: FakeOpsgenie, url: str, eager: OpsgenieNotifier
) -> None:
    fake.process_later(2)

    delivery = eager.send(_message(), _destination(url))

    assert (delivery.outcome, delivery.reason) == (Outcome.SENT, "Created alert")
    assert fake.status_polls == [delivery.provider_ref] * 3
    fake.take()


def test_a_create_opsgenie_reports_failed_is_a_failed_delivery(
    fake: FakeOpsgenie, url: str, eager: OpsgenieNotifier
) -> None:
    fake.fail_processing("No team exists with name [doc-platform]")

    delivery = eager.send(_message(), _destination(url, responders="doc-platform"))

    assert delivery == Delivery.failed(
        "Opsgenie accepted the request but reports: No team exists with name [doc-platform]"
    )
    assert fake.alert("INC-42") is None
    fake.take()


def test_closing_an_alert_already_gone_from_opsgenie_is_sent_with_nothing_to_do(
    fake: FakeOpsgenie, url: str, eager: OpsgenieNotifier
) -> None:
    delivery = eager.send(_message(MessageKind.RESOLVE), _destination(url))

    assert (delivery.outcome, delivery.reason) == (
        Outcome.SENT,
        "nothing to do: Alert does not exist",
    )
    fake.take()


def test_a_request_still_unprocessed_after_the_polls_stays_accepted(
    fake: FakeOpsgenie, url: str, eager: OpsgenieNotifier
) -> None:
    fake.process_later(10)

    delivery = eager.send(_message(), _destination(url))

    assert (delivery.outcome, delivery.reason) == (
        Outcome.SENT,
        "accepted; not processed after 4 status polls",
    )
    assert len(fake.status_polls) == 4
    fake.take()


def test_a_status_that_cannot_be_read_leaves_the_delivery_accepted() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(503, json={"message": "busy"})
        return httpx.Response(202, json={"result": "Request will be processed", "requestId": "r9"})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        delivery = OpsgenieNotifier(client).send(_message(), _destination("https://og.test"))

    assert delivery == Delivery(
        Outcome.SENT, reason="accepted; its status answered HTTP 503", provider_ref="r9"
    )


def test_alias_is_escaped_in_the_path(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    destination = _destination(url)
    notifier.send(_message(ref="ops/7 ?x"), destination)
    notifier.send(_message(MessageKind.RESOLVE, ref="ops/7 ?x"), destination)

    assert [unquote(r.path) for r in fake.take(2)] == ["/v2/alerts", "/v2/alerts/ops/7 ?x/close"]
    alert = fake.alert("ops/7 ?x")
    assert alert is not None
    assert alert.status == "closed"


def test_test_message_creates_a_p5_alert_under_its_own_alias(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    notifier.send(_message(MessageKind.TEST), _destination(url))

    body = fake.take()[0].json()
    assert body["alias"] == "fireline-test-outbox-9"
    assert body["priority"] == "P5"
    assert body["message"].startswith("[TEST] ")
    assert fake.alert("INC-42") is None


def test_wrong_api_key_fails_for_good(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    wrong = "0ff1ce00-dead-beef-0000-000000000000"

    delivery = notifier.send(_message(), _destination(url, key=wrong))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 401" in delivery.reason
    assert wrong not in delivery.reason
    assert fake.alerts == []


def test_rate_limit_is_retried_after_opsgenies_wait(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    fake.fail_next(429, retry_after="12")

    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    assert delivery.retry_after == timedelta(seconds=12)


def test_server_error_is_retried(fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier) -> None:
    fake.fail_next(502)

    assert notifier.send(_message(), _destination(url)).outcome is Outcome.RETRY


def test_validation_error_fails_for_good(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    body = {"message": "Request body is not valid", "errors": {"message": "is required"}}
    fake.answer_next(422, body=body)

    delivery = notifier.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.FAILED
    assert "HTTP 422" in delivery.reason


def test_timeout_is_retried(fake: FakeOpsgenie, url: str, impatient: OpsgenieNotifier) -> None:
    fake.delay_next(0.6)

    delivery = impatient.send(_message(), _destination(url))

    assert delivery.outcome is Outcome.RETRY
    # Opsgenie may still create the alert; the alias makes the retry count, not duplicate.
    assert fake.take()[0].json()["alias"] == "INC-42"


def test_connection_refused_is_retried(notifier: OpsgenieNotifier) -> None:
    delivery = notifier.send(_message(), _destination(closed_port_url()))

    assert delivery.outcome is Outcome.RETRY
    assert "could not reach" in delivery.reason


def test_missing_api_key_fails_without_a_request(
    fake: FakeOpsgenie, url: str, notifier: OpsgenieNotifier
) -> None:
    delivery = notifier.send(_message(), _destination(url, key=""))

    assert delivery == Delivery.failed("Opsgenie destination 'ops' has no api_key")
    assert fake.attempts == []


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (MessageKind.TRIGGER, "/v2/alerts"),
        (MessageKind.ACKNOWLEDGE, "/v2/alerts/INC-42/acknowledge"),
        (MessageKind.RESOLVE, "/v2/alerts/INC-42/close"),
    ],
)
def test_url_defaults_to_the_us_api(kind: MessageKind, path: str) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "GET":
            return httpx.Response(200, json={"data": {"isSuccess": True, "status": "Done"}})
        return httpx.Response(202, json={"result": "Request will be processed", "requestId": "r1"})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        destination = replace(_destination(""), settings={"api_key": KEY})
        delivery = OpsgenieNotifier(client).send(_message(kind), destination)

    assert delivery == Delivery(Outcome.SENT, reason="Done", provider_ref="r1")
    assert [str(r.url).split("?")[0] for r in seen] == [
        DEFAULT_URL + path,
        DEFAULT_URL + "/v2/alerts/requests/r1",
    ]


@pytest.mark.parametrize(
    "scenario",
    ["sent", "rate-limited", "server-error", "wrong-key", "echoed-key", "timeout", "refused"],
)
@pytest.mark.parametrize("marked_secret", [True, False])
def test_no_outcome_leaks_the_api_key(
    fake: FakeOpsgenie,
    url: str,
    impatient: OpsgenieNotifier,
    caplog: pytest.LogCaptureFixture,
    scenario: str,
    *,
    marked_secret: bool,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = "5ec2e7a1-wrong-wrong-wrong" if scenario == "wrong-key" else KEY
    target = closed_port_url() if scenario == "refused" else url
    if scenario == "rate-limited":
        fake.fail_next(429, retry_after="5")
    elif scenario == "server-error":
        fake.fail_next(500)
    elif scenario == "echoed-key":
        fake.answer_next(401, body={"message": f"Key {key} is not valid", "took": 0.0})
    elif scenario == "timeout":
        fake.delay_next(0.6)

    delivery = impatient.send(_message(), _destination(target, key=key, secret=marked_secret))

    assert_no_secret(delivery, caplog, key)
    if scenario == "echoed-key":
        assert "Key <redacted> is not valid" in delivery.reason
    if scenario in ("sent", "timeout"):
        fake.take()


# --- the fake against what Alertmanager really sent ---------------------------------------


def _alias_of(group: str) -> str:
    create = sorted(PAYLOADS.glob(f"opsgenie-create-{group}*.json"))[0]
    alias: str = json.loads(create.read_text(encoding="utf-8"))["alias"]
    return alias


def _post(url: str, path: str, body: bytes, **params: str) -> httpx.Response:
    headers = {"Authorization": f"GenieKey {KEY}", "Content-Type": "application/json"}
    return httpx.post(url + path, content=body, headers=headers, params=params)


@pytest.mark.parametrize(
    "name", sorted(path.name for path in PAYLOADS.glob("opsgenie-create-*.json"))
)
def test_fake_accepts_every_alert_alertmanager_created(
    fake: FakeOpsgenie, url: str, name: str
) -> None:
    response = _post(url, "/v2/alerts", (PAYLOADS / name).read_bytes())

    assert response.status_code == 202
    assert response.json()["result"] == "Request will be processed"
    fake.take()


@pytest.mark.parametrize(
    "name", sorted(path.name for path in PAYLOADS.glob("opsgenie-close-*.json"))
)
def test_fake_accepts_every_close_alertmanager_sent(
    fake: FakeOpsgenie, url: str, name: str
) -> None:
    group = name.removeprefix("opsgenie-close-").removesuffix(".json")
    create = sorted(PAYLOADS.glob(f"opsgenie-create-{group}*.json"))[0]
    _post(url, "/v2/alerts", create.read_bytes())
    alias = _alias_of(group)

    response = _post(
        url, f"/v2/alerts/{alias}/close", (PAYLOADS / name).read_bytes(), identifierType="alias"
    )

    assert response.status_code == 202
    fake.take(2)
    alert = fake.alert(alias)
    assert alert is not None
    assert alert.status == "closed"


def test_fake_keeps_one_open_alert_per_alias(fake: FakeOpsgenie, url: str) -> None:
    body = (PAYLOADS / "opsgenie-create-extraction-error-rate-high-2-alerts.json").read_bytes()
    again = (
        PAYLOADS / "opsgenie-create-extraction-error-rate-high-1-firing-1-resolved.json"
    ).read_bytes()

    _post(url, "/v2/alerts", body)
    _post(url, "/v2/alerts", again)

    fake.take(2)
    assert [alert.count for alert in fake.alerts] == [2]


def test_fake_answers_an_unknown_alias_202_and_records_the_failure(
    fake: FakeOpsgenie, url: str
) -> None:
    response = _post(url, "/v2/alerts/nope/acknowledge", b"{}", identifierType="alias")

    assert response.status_code == 202
    assert fake.requests[response.json()["requestId"]]["status"] == "Alert does not exist"
    fake.take()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": "m" * 131}, "message"),
        ({"message": "m", "alias": "a" * 513}, "alias"),
        ({"message": "m", "priority": "P0"}, "priority"),
        ({"message": "m", "tags": ["t"] * 21}, "tags"),
        ({"message": "m", "tags": ["t" * 51]}, "tags"),
        ({"message": "m", "details": {"k": 1}}, "details"),
        ({"message": "m", "details": {"k": "v" * 8000}}, "details"),
        ({"message": "m", "responders": [{"type": "team"}]}, "responders[0]"),
        ({"message": "m", "responders": [{"type": "squad", "name": "x"}]}, "responders[0]"),
        ({"message": "m", "source": "s" * 101}, "source"),
        ({"message": "m", "severity": "P1"}, "severity"),
    ],
)
def test_fake_refuses_what_opsgenie_would(
    fake: FakeOpsgenie, url: str, body: dict[str, Any], field: str
) -> None:
    response = _post(url, "/v2/alerts", json.dumps(body).encode())

    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert len(fake.take_refusals()) == 1


def test_fake_requires_the_geniekey_scheme(fake: FakeOpsgenie, url: str) -> None:
    response = httpx.post(
        url + "/v2/alerts", json={"message": "m"}, headers={"Authorization": f"Bearer {KEY}"}
    )

    assert response.status_code == 401
    assert fake.take_refusals() == ["POST /v2/alerts: no 'Authorization: GenieKey <key>' header"]
