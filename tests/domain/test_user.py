"""Users: validating contact methods and notification rules, and when each method is tried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fireline.domain.errors import Invalid
from fireline.domain.notify.destination import ChannelKind
from fireline.domain.user import ContactMethod, NotificationRule, User, make_user

T0 = datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
PHONE = ContactMethod("phone", ChannelKind.SMS, "+441632960961")
MAIL = ContactMethod("work-mail", ChannelKind.EMAIL, "alice@example.com")
CALL = ContactMethod("call", ChannelKind.VOICE, "+441632960961")


def _user(**changes: Any) -> User:
    fields: dict[str, Any] = {
        "name": "alice",
        "full_name": "Alice Liddell",
        "email": "alice@example.com",
        "time_zone": "Europe/London",
        "contact_methods": [PHONE, MAIL, CALL],
        "notification_rules": [],
    }
    fields.update(changes)
    return make_user(**fields)


def _bad_fields(**changes: Any) -> list[str]:
    with pytest.raises(Invalid) as caught:
        _user(**changes)
    return [e.field for e in caught.value.errors]


def test_a_valid_user_keeps_its_fields() -> None:
    user = _user(full_name="  Alice Liddell ")
    assert user.name == "alice"
    assert user.full_name == "Alice Liddell"
    assert user.contact_methods == (PHONE, MAIL, CALL)


def test_without_rules_every_contact_method_is_tried_immediately() -> None:
    user = _user()
    assert user.notifications(paged_at=T0) == [(PHONE, T0), (MAIL, T0), (CALL, T0)]


def test_rules_say_when_each_contact_method_is_tried() -> None:
    user = _user(
        notification_rules=[
            NotificationRule("call", timedelta(minutes=5)),
            NotificationRule("phone", timedelta(0)),
            NotificationRule("phone", timedelta(minutes=10)),
        ]
    )
    assert user.notifications(paged_at=T0) == [
        (PHONE, T0),
        (CALL, T0 + timedelta(minutes=5)),
        (PHONE, T0 + timedelta(minutes=10)),
    ]


def test_a_contact_method_without_a_rule_is_not_tried_once_rules_exist() -> None:
    user = _user(notification_rules=[NotificationRule("work-mail", timedelta(minutes=1))])
    assert [cm for cm, _ in user.notifications(paged_at=T0)] == [MAIL]


def test_a_user_without_contact_methods_is_notified_nowhere() -> None:
    assert _user(contact_methods=[]).notifications(paged_at=T0) == []


def test_notifications_need_an_aware_utc_instant() -> None:
    with pytest.raises(ValueError, match="aware UTC"):
        _user().notifications(paged_at=datetime(2026, 3, 29, 2, 0))  # noqa: DTZ001


def test_every_bad_top_level_field_is_named() -> None:
    assert _bad_fields(name="Alice", full_name=" ", email="alice", time_zone="Mars/Olympus") == [
        "name",
        "full_name",
        "email",
        "time_zone",
    ]


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        (ChannelKind.EMAIL, "bob@example.org"),
        (ChannelKind.SMS, "+12025550143"),
        (ChannelKind.VOICE, "+4915123456789"),
        (ChannelKind.SLACK, "https://hooks.slack.example/services/T0/B0/x"),
        (ChannelKind.WEBHOOK, "http://pager.internal:8080/hook"),
    ],
)
def test_addresses_that_fit_their_kind_are_accepted(kind: ChannelKind, address: str) -> None:
    user = _user(contact_methods=[ContactMethod("m", kind, address)])
    assert user.contact_methods[0].address == address


@pytest.mark.parametrize(
    ("kind", "address"),
    [
        (ChannelKind.EMAIL, "bob@localhost"),
        (ChannelKind.EMAIL, "bob example.org"),
        (ChannelKind.SMS, "02025550143"),
        (ChannelKind.SMS, "+1234567"),  # 7 digits: too short for E.164
        (ChannelKind.VOICE, "+1234567890123456"),  # 16 digits: too long
        (ChannelKind.VOICE, "+0123456789"),  # no country code starts with 0
        (ChannelKind.SLACK, "ftp://hooks.slack.example/x"),
        (ChannelKind.WEBHOOK, "https://"),
        (ChannelKind.WEBHOOK, ""),
    ],
)
def test_addresses_that_do_not_fit_their_kind_are_rejected(kind: ChannelKind, address: str) -> None:
    fields = _bad_fields(contact_methods=[ContactMethod("m", kind, address)])
    assert fields == ["contact_methods[0].address"]


def test_pager_services_are_not_contact_methods() -> None:
    method = ContactMethod("pd", ChannelKind.PAGERDUTY, "routing-key")
    assert _bad_fields(contact_methods=[method]) == ["contact_methods[0].kind"]


def test_a_kind_given_as_text_is_read_as_the_channel_kind() -> None:
    method = ContactMethod("m", "sms", "+12025550143")  # type: ignore[arg-type]
    assert _user(contact_methods=[method]).contact_methods[0].kind is ChannelKind.SMS


def test_contact_method_names_are_unique_slugs() -> None:
    methods = [PHONE, ContactMethod("Phone 2", ChannelKind.SMS, "+12025550143"), PHONE]
    assert _bad_fields(contact_methods=methods) == [
        "contact_methods[1].name",
        "contact_methods[2].name",
    ]


def test_a_rule_for_an_unknown_contact_method_is_named_by_index() -> None:
    rules = [NotificationRule("phone", timedelta(0)), NotificationRule("pager", timedelta(0))]
    assert _bad_fields(notification_rules=rules) == ["notification_rules[1].contact_method"]


@pytest.mark.parametrize(
    "delay",
    [timedelta(minutes=-1), timedelta(hours=25), timedelta(seconds=90)],
)
def test_rule_delays_are_whole_minutes_within_a_day(delay: timedelta) -> None:
    rules = [NotificationRule("phone", delay)]
    assert _bad_fields(notification_rules=rules) == ["notification_rules[0].delay"]


def test_a_repeated_rule_is_rejected() -> None:
    rule = NotificationRule("phone", timedelta(minutes=2))
    assert _bad_fields(notification_rules=[rule, rule]) == ["notification_rules[1]"]


def test_a_rule_for_a_method_with_a_bad_kind_reports_only_the_kind() -> None:
    method = ContactMethod("pd", ChannelKind.PAGERDUTY, "routing-key")
    rules = [NotificationRule("pd", timedelta(0))]
    assert _bad_fields(contact_methods=[method], notification_rules=rules) == [
        "contact_methods[0].kind"
    ]
