"""The on-call sections of `fireline.yaml`: converted to domain objects, references checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fireline.domain.escalation.policy import Target, TargetKind
from fireline.domain.notify.destination import ChannelKind
from fireline.domain.oncall.schedule import on_call
from fireline.services.configfile import ConfigInvalid, parse_config
from tests.support.oncall_config import PD_ROUTING_KEY, oncall_config


def _problems(text: str) -> dict[str, str]:
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(text, revision="r")
    return {p.path: p.message for p in caught.value.problems}


def test_oncall_sections_become_domain_objects() -> None:
    config = parse_config(oncall_config(), revision="r").oncall
    channel = config.channel("pd-platform")
    assert channel is not None
    assert channel.kind is ChannelKind.PAGERDUTY
    assert channel.settings["routing_key"] == PD_ROUTING_KEY
    assert "routing_key" in channel.secrets
    assert PD_ROUTING_KEY not in repr(channel)
    policy = config.policy_for("job-queue")
    assert policy is not None
    assert policy.steps[0].targets == (Target(TargetKind.CHANNEL, "pd-platform"),)
    assert policy.steps[0].delay == timedelta(minutes=5)
    assert config.policy_for("monitoring") is None
    schedule = config.schedule("platform")
    assert schedule is not None
    monday = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert on_call(schedule, [], at=monday) == "alice"
    assert on_call(schedule, [], at=monday + timedelta(days=7)) == "bob"
    assert config.paging.providers == {ChannelKind.WEBHOOK: "ops-hook"}


def test_references_to_undeclared_things_are_reported_where_written() -> None:
    text = (
        oncall_config()
        .replace("users: [alice, bob]", "users: [alice, carol]")
        .replace('"schedule:platform"', '"schedule:nightly"')
        .replace("escalation_policy: queue}", "escalation_policy: missing}")
        .replace("providers: {webhook: ops-hook}", "providers: {webhook: pd-platform}")
    )
    problems = _problems(text)
    assert "'carol' is not a declared user" in problems["schedules[0].layers[0].users[1]"]
    assert (
        "'nightly' is not a declared schedule"
        in problems["escalation_policies[0].steps[1].targets[0]"]
    )
    assert "'missing' is not a declared policy" in problems["services[0].escalation_policy"]
    assert "kind webhook" in problems["paging.providers.webhook"]


def test_bad_values_name_their_fields() -> None:
    text = (
        oncall_config()
        .replace("rotation: 1w", "rotation: weekly")
        .replace('handoff: "09:00"', 'handoff: "25:00"')
    )
    problems = _problems(text)
    assert "12h, 1d, 1w" in problems["schedules[0].layers[0].rotation"]
    assert "HH:MM" in problems["schedules[0].layers[0].handoff"]


def test_domain_checks_name_their_fields_once_the_shapes_are_right() -> None:
    text = (
        oncall_config()
        .replace("time_zone: Europe/Berlin", "time_zone: Mars/Olympus")
        .replace("address: ", "address: not-a-url-", 1)
    )
    problems = _problems(text)
    assert any(path.startswith("users[0].contact_methods[0]") for path in problems), problems
    assert any(path.startswith("schedules[0]") for path in problems), problems


def test_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    text = oncall_config().replace(PD_ROUTING_KEY, '"${FIRELINE_TEST_PD_KEY}"')
    problems = _problems(text)
    assert problems["channels[0].routing_key"] == (
        "environment variable FIRELINE_TEST_PD_KEY is not set"
    )
    monkeypatch.setenv("FIRELINE_TEST_PD_KEY", "k" * 32)
    channel = parse_config(text, revision="r").oncall.channel("pd-platform")
    assert channel is not None
    assert channel.settings["routing_key"] == "k" * 32
