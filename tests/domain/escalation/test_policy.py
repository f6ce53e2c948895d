"""Escalation policies: validation, and the snapshot stored on an incident."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.domain.errors import Invalid
from fireline.domain.escalation.policy import (
    Policy,
    Step,
    Target,
    TargetKind,
    make_policy,
    policy_from_dict,
    policy_to_dict,
)

ALICE = Target(TargetKind.USER, "alice")
PRIMARY = Target(TargetKind.SCHEDULE, "primary")
OPS = Target(TargetKind.CHANNEL, "ops-slack")


def _bad_fields(**changes: Any) -> list[str]:
    fields: dict[str, Any] = {
        "name": "uploads",
        "steps": [Step((PRIMARY,), timedelta(minutes=5)), Step((ALICE,), timedelta(0))],
        "repeat": 1,
    }
    fields.update(changes)
    with pytest.raises(Invalid) as caught:
        make_policy(**fields)
    return [e.field for e in caught.value.errors]


def test_a_valid_policy_keeps_its_steps() -> None:
    steps = [Step((PRIMARY, OPS), timedelta(minutes=5)), Step((ALICE,), timedelta(minutes=10))]
    policy = make_policy(name="uploads", steps=steps, repeat=2)
    assert policy == Policy("uploads", tuple(steps), 2)


def test_a_policy_needs_a_step() -> None:
    assert _bad_fields(steps=[]) == ["steps"]


def test_every_step_needs_a_target() -> None:
    assert _bad_fields(steps=[Step((), timedelta(minutes=1)), Step((ALICE,), timedelta(0))]) == [
        "steps[0].targets"
    ]


def test_only_the_last_step_may_wait_less_than_a_minute() -> None:
    steps = [Step((PRIMARY,), timedelta(seconds=30)), Step((ALICE,), timedelta(0))]
    assert _bad_fields(steps=steps) == ["steps[0].delay"]


@pytest.mark.parametrize(
    "delay", [timedelta(seconds=-1), timedelta(hours=24, seconds=1), timedelta(milliseconds=1)]
)
def test_the_last_step_delay_is_still_bounded(delay: timedelta) -> None:
    assert _bad_fields(steps=[Step((ALICE,), delay)]) == ["steps[0].delay"]


@pytest.mark.parametrize("repeat", [-1, 10, True])
def test_repeat_is_between_0_and_9(repeat: object) -> None:
    assert _bad_fields(repeat=repeat) == ["repeat"]


def test_a_target_twice_in_one_step_is_rejected() -> None:
    steps = [Step((ALICE, PRIMARY, ALICE), timedelta(minutes=1))]
    assert _bad_fields(steps=steps) == ["steps[0].targets[2]"]


def test_bad_targets_are_named_by_step_and_index() -> None:
    steps = [
        Step((ALICE,), timedelta(minutes=1)),
        Step((Target("team", "sre"), Target(TargetKind.USER, "Bob")), timedelta(0)),  # type: ignore[arg-type]
    ]
    assert _bad_fields(name="Uploads!", steps=steps) == [
        "name",
        "steps[1].targets[0].kind",
        "steps[1].targets[1].name",
    ]


def test_snapshot_is_json_with_a_version() -> None:
    policy = make_policy(
        name="uploads", steps=[Step((PRIMARY, OPS), timedelta(minutes=5))], repeat=1
    )
    assert policy_to_dict(policy) == {
        "version": 1,
        "name": "uploads",
        "repeat": 1,
        "steps": [
            {
                "delay_seconds": 300,
                "targets": [
                    {"kind": "schedule", "name": "primary"},
                    {"kind": "channel", "name": "ops-slack"},
                ],
            }
        ],
    }


def test_an_unknown_snapshot_version_is_refused() -> None:
    data = policy_to_dict(make_policy(name="p", steps=[Step((ALICE,), timedelta(0))]))
    with pytest.raises(Invalid) as caught:
        policy_from_dict({**data, "version": 2})
    assert [e.field for e in caught.value.errors] == ["version"]


def test_a_malformed_snapshot_names_each_bad_field() -> None:
    data = {
        "version": 1,
        "name": 7,
        "repeat": "1",
        "steps": [{"delay_seconds": 60.5, "targets": [{"kind": "user"}, "bob"]}, []],
    }
    with pytest.raises(Invalid) as caught:
        policy_from_dict(data)
    assert [e.field for e in caught.value.errors] == [
        "name",
        "repeat",
        "steps[0].delay_seconds",
        "steps[0].targets[0].name",
        "steps[0].targets[1]",
        "steps[1]",
    ]


def test_a_snapshot_that_breaks_policy_rules_is_refused() -> None:
    data = policy_to_dict(make_policy(name="p", steps=[Step((ALICE,), timedelta(0))]))
    with pytest.raises(Invalid) as caught:
        policy_from_dict({**data, "repeat": 12})
    assert [e.field for e in caught.value.errors] == ["repeat"]


_slugs = st.lists(st.text("abz09", min_size=1, max_size=4), min_size=1, max_size=3).map("-".join)
_targets = st.builds(Target, st.sampled_from(TargetKind), _slugs)
_delays = st.integers(min_value=60, max_value=86_400).map(lambda s: timedelta(seconds=s))


@st.composite
def _policies(draw: st.DrawFn) -> Policy:
    count = draw(st.integers(min_value=1, max_value=5))
    steps = [
        Step(tuple(draw(st.lists(_targets, min_size=1, max_size=4, unique=True))), draw(_delays))
        for _ in range(count)
    ]
    last_delay = draw(st.integers(min_value=0, max_value=86_400))
    steps[-1] = Step(steps[-1].targets, timedelta(seconds=last_delay))
    repeat = draw(st.integers(min_value=0, max_value=9))
    return make_policy(name=draw(_slugs), steps=steps, repeat=repeat)


@settings(max_examples=150, deadline=None)
@given(_policies())
def test_snapshot_round_trips_exactly_through_json(policy: Policy) -> None:
    stored = json.loads(json.dumps(policy_to_dict(policy)))
    assert policy_from_dict(stored) == policy
