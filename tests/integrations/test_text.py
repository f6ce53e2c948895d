"""The shared human wording: headline, who changed what, facts, links, and the body lines."""

from __future__ import annotations

from typing import Any

import pytest

from fireline.domain.notify.message import Message, MessageKind
from fireline.integrations.text import body_lines, change, headline, link, one_line, shorten
from tests.support.messages import make_brief, make_message

BRIEF = make_brief(regions=("eu-west-1", "eu-central-1"))


def _message(kind: MessageKind = MessageKind.TRIGGER, **changes: Any) -> Message:
    return make_message(kind, brief=BRIEF, recipient=None, step=None, **changes)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (MessageKind.TRIGGER, "[SEV2] INC-42 triggered: Queue saturated (job-queue)"),
        (MessageKind.ACKNOWLEDGE, "[SEV2] INC-42 acknowledged: Queue saturated (job-queue)"),
        (MessageKind.RESOLVE, "[SEV2] INC-42 resolved: Queue saturated (job-queue)"),
        (MessageKind.TEST, "[SEV2] INC-42 test notification: Queue saturated (job-queue)"),
    ],
)
def test_headline_names_severity_ref_what_happened_title_and_service(
    kind: MessageKind, expected: str
) -> None:
    assert headline(_message(kind)) == expected


def test_headline_is_one_bounded_line() -> None:
    message = _message(title="Disk\nfull\r\n  on  db\t" + "x" * 400, service="")

    text = headline(message)

    assert text.startswith("[SEV2] INC-42 triggered: Disk full on db xxx")
    assert "\n" not in text
    assert len(text) == 250
    assert text.endswith("…")


def test_body_lines_of_a_trigger_list_facts_summary_and_links() -> None:
    assert body_lines(_message()) == [
        "Severity: SEV2",
        "Service: job-queue",
        "Status: triggered",
        "Regions: eu-west-1, eu-central-1",
        "Summary: Depth 92% of capacity.",
        "Runbook: https://runbooks.example/queue",
        "Incident INC-42: https://fireline.example/incidents/INC-42",
    ]


def test_body_lines_leave_out_what_the_incident_lacks() -> None:
    message = _message(summary=" ", runbook_url=None, incident_url="", regions=(), service="")

    assert body_lines(message) == ["Severity: SEV2", "Service: -", "Status: triggered"]


@pytest.mark.parametrize(
    ("kind", "details", "expected"),
    [
        (MessageKind.TRIGGER, {"actor": "alice"}, None),
        (MessageKind.ACKNOWLEDGE, {}, "Acknowledged."),
        (MessageKind.ACKNOWLEDGE, {"actor": "alice"}, "Acknowledged by alice."),
        (
            MessageKind.RESOLVE,
            {"actor": "bob", "note": "rolled back"},
            "Resolved by bob: rolled back",
        ),
        (MessageKind.RESOLVE, {"note": "alert cleared"}, "Resolved: alert cleared"),
    ],
)
def test_change_says_who_acknowledged_or_resolved(
    kind: MessageKind, details: dict[str, str], expected: str | None
) -> None:
    assert change(_message(kind, details=details)) == expected


def test_ack_body_starts_with_who_changed_it() -> None:
    message = _message(MessageKind.ACKNOWLEDGE, status="acknowledged", details={"actor": "alice"})

    assert body_lines(message)[:2] == ["Acknowledged by alice.", "Severity: SEV2"]


def test_a_test_message_says_no_action_is_needed() -> None:
    assert "no action is needed" in body_lines(_message(MessageKind.TEST))[0]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://runbooks.example/a?b=1&c=2", "https://runbooks.example/a?b=1&c=2"),
        ("  http://localhost:8080/x  ", "http://localhost:8080/x"),
        (None, None),
        ("", None),
        ("javascript:alert(1)", None),
        ("data:text/html,<b>x</b>", None),
        ("//evil.example/x", None),
        ("runbooks/queue.md", None),
        ("https://", None),
        ("https://a.example/x y", None),
        ("http://[::1", None),
    ],
)
def test_link_keeps_only_absolute_http_urls(url: str | None, expected: str | None) -> None:
    assert link(url) == expected


def test_only_http_links_reach_the_body() -> None:
    message = _message(runbook_url="javascript:alert(1)")

    assert not [line for line in body_lines(message) if "javascript" in line]


def test_one_line_and_shorten() -> None:
    assert one_line(" a\n b\t\tc ") == "a b c"
    assert shorten("abcdef", 6) == "abcdef"
    assert shorten("abcdefg", 6) == "abcde…"
