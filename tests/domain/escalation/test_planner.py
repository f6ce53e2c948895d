"""The escalation planner: which step is due, whom it pages, and when it stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.domain.errors import Conflict
from fireline.domain.escalation.planner import (
    Escalation,
    EscalationStatus,
    Page,
    acknowledge,
    advance,
    reopen,
    resolve,
    start,
)
from fireline.domain.escalation.policy import Policy, Step, Target, TargetKind, make_policy

T0 = datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
PRIMARY = Target(TargetKind.SCHEDULE, "primary")
OPS = Target(TargetKind.CHANNEL, "ops-slack")
ALICE = Target(TargetKind.USER, "alice")
BOB = Target(TargetKind.USER, "bob")

# primary + #ops now, alice 5 minutes later, bob 10 minutes after that, then 15 minutes' wait.
POLICY = make_policy(
    name="uploads",
    steps=[
        Step((PRIMARY, OPS), timedelta(minutes=5)),
        Step((ALICE,), timedelta(minutes=10)),
        Step((BOB,), timedelta(minutes=15)),
    ],
    repeat=1,
)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _keys(pages: list[Page]) -> list[str]:
    return [p.idempotency_key_part for p in pages]


def test_start_pages_the_first_step_at_once() -> None:
    escalation, pages = start(POLICY, now=T0)
    assert _keys(pages) == ["c0s0:schedule:primary", "c0s0:channel:ops-slack"]
    assert pages[0] == Page(0, 0, PRIMARY, "c0s0:schedule:primary")
    assert escalation.status is EscalationStatus.ACTIVE
    assert (escalation.cycle, escalation.step) == (0, 0)
    assert escalation.next_at == _at(5)
    assert escalation.started_at == T0


def test_nothing_is_paged_before_the_next_step_is_due() -> None:
    escalation, _ = start(POLICY, now=T0)
    assert advance(escalation, now=_at(4.99)) == (escalation, [])


def test_the_next_step_is_paged_once_its_delay_has_passed() -> None:
    escalation, _ = start(POLICY, now=T0)
    escalation, pages = advance(escalation, now=_at(5))
    assert _keys(pages) == ["c0s1:user:alice"]
    assert escalation.next_at == _at(15)
    escalation, pages = advance(escalation, now=_at(15))
    assert _keys(pages) == ["c0s2:user:bob"]
    assert escalation.next_at == _at(30)


def test_repeat_runs_policy_again() -> None:
    escalation, _ = start(POLICY, now=T0)
    for minute in (5, 15):
        escalation, _ = advance(escalation, now=_at(minute))
    escalation, pages = advance(escalation, now=_at(30))
    assert _keys(pages) == ["c1s0:schedule:primary", "c1s0:channel:ops-slack"]
    assert (escalation.cycle, escalation.step, escalation.next_at) == (1, 0, _at(35))


def test_escalation_is_exhausted_after_the_last_pass_and_its_delay() -> None:
    escalation, _ = start(POLICY, now=T0)
    for minute in (5, 15, 30, 35, 45):
        escalation, _ = advance(escalation, now=_at(minute))
    assert (escalation.cycle, escalation.step) == (1, 2)
    assert escalation.status is EscalationStatus.ACTIVE
    escalation, pages = advance(escalation, now=_at(60))
    assert pages == []
    assert escalation.status is EscalationStatus.EXHAUSTED
    assert escalation.next_at is None
    assert advance(escalation, now=_at(600)) == (escalation, [])


def test_ack_stops_escalation() -> None:
    escalation, _ = start(POLICY, now=T0)
    acked = acknowledge(escalation, now=_at(2))
    assert acked.status is EscalationStatus.ACKNOWLEDGED
    assert acked.next_at is None
    assert advance(acked, now=_at(500)) == (acked, [])


def test_resolve_stops_escalation_and_is_idempotent() -> None:
    escalation, _ = start(POLICY, now=T0)
    resolved = resolve(escalation, now=_at(2))
    assert resolved.status is EscalationStatus.RESOLVED
    assert resolve(resolved, now=_at(3)) == resolved
    assert advance(resolved, now=_at(500)) == (resolved, [])


def test_a_resolved_escalation_cannot_be_acknowledged() -> None:
    escalation, _ = start(POLICY, now=T0)
    with pytest.raises(Conflict):
        acknowledge(resolve(escalation, now=_at(1)), now=_at(2))


def test_an_exhausted_escalation_can_still_be_acknowledged() -> None:
    policy = make_policy(name="p", steps=[Step((ALICE,), timedelta(0))])
    escalation, _ = start(policy, now=T0)
    exhausted, _ = advance(escalation, now=T0)
    assert exhausted.status is EscalationStatus.EXHAUSTED
    assert acknowledge(exhausted, now=_at(1)).status is EscalationStatus.ACKNOWLEDGED


def test_reopen_escalates_again_with_new_keys() -> None:
    escalation, first = start(POLICY, now=T0)
    escalation, second = advance(escalation, now=_at(5))
    escalation = resolve(escalation, now=_at(7))
    reopened, pages = reopen(escalation, now=_at(60))
    assert _keys(pages) == ["c1s0:schedule:primary", "c1s0:channel:ops-slack"]
    assert not set(_keys(pages)) & set(_keys(first + second))
    assert reopened.status is EscalationStatus.ACTIVE
    assert (reopened.cycle, reopened.step, reopened.next_at) == (1, 0, _at(65))
    assert reopened.started_at == _at(60)


def test_a_reopened_escalation_gets_its_full_repeats_again() -> None:
    escalation, _ = start(POLICY, now=T0)
    reopened, _ = reopen(acknowledge(escalation, now=_at(1)), now=_at(2))
    cycles = set()
    while reopened.status is EscalationStatus.ACTIVE:
        assert reopened.next_at is not None
        reopened, pages = advance(reopened, now=reopened.next_at)
        cycles |= {p.cycle for p in pages}
    assert cycles == {1, 2}


def test_an_active_escalation_cannot_be_reopened() -> None:
    escalation, _ = start(POLICY, now=T0)
    with pytest.raises(Conflict):
        reopen(escalation, now=_at(1))


def test_catch_up_after_engine_downtime() -> None:
    """Down from minute 1 to 100: the overdue step is paged on return, and no step is skipped;
    each later step waits its full delay from when its predecessor was really paged."""
    escalation, _ = start(POLICY, now=T0)
    escalation, pages = advance(escalation, now=_at(100))
    assert _keys(pages) == ["c0s1:user:alice"]
    assert escalation.next_at == _at(110)
    assert advance(escalation, now=_at(109)) == (escalation, [])
    escalation, pages = advance(escalation, now=_at(112))
    assert _keys(pages) == ["c0s2:user:bob"]
    assert escalation.next_at == _at(127)


def test_replanning_the_same_step_yields_the_same_keys() -> None:
    escalation, _ = start(POLICY, now=T0)
    # Two engine workers that both read the state before either stored the result.
    _, first = advance(escalation, now=_at(5))
    _, again = advance(escalation, now=_at(6))
    assert _keys(first) == _keys(again)


def test_time_must_be_aware_utc() -> None:
    with pytest.raises(ValueError, match="aware UTC"):
        start(POLICY, now=datetime(2026, 3, 29, 3, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware UTC"):
        start(POLICY, now=T0.astimezone(timezone(timedelta(hours=2))))


_targets = st.builds(
    Target, st.sampled_from(TargetKind), st.sampled_from(["alice", "bob", "primary", "ops"])
)


@st.composite
def _policies(draw: st.DrawFn) -> Policy:
    minutes = st.integers(min_value=1, max_value=30)
    count = draw(st.integers(min_value=1, max_value=4))
    steps = [
        Step(
            tuple(draw(st.lists(_targets, min_size=1, max_size=3, unique=True))),
            timedelta(minutes=draw(minutes)),
        )
        for _ in range(count)
    ]
    last = timedelta(minutes=draw(st.integers(min_value=0, max_value=30)))
    steps[-1] = Step(steps[-1].targets, last)
    return make_policy(name="p", steps=steps, repeat=draw(st.integers(min_value=0, max_value=3)))


_gaps = st.lists(st.integers(min_value=0, max_value=3_600), max_size=40)
_actions = st.lists(
    st.tuples(
        st.sampled_from(["advance", "advance", "advance", "ack", "resolve", "reopen"]),
        st.integers(min_value=0, max_value=3_600),
    ),
    max_size=40,
)


def _apply(escalation: Escalation, action: str, now: datetime) -> tuple[Escalation, list[Page]]:
    if action == "ack" and escalation.status is not EscalationStatus.RESOLVED:
        return acknowledge(escalation, now=now), []
    if action == "resolve":
        return resolve(escalation, now=now), []
    if action == "reopen" and escalation.status is not EscalationStatus.ACTIVE:
        return reopen(escalation, now=now)
    return advance(escalation, now=now)


@settings(max_examples=150, deadline=None)
@given(_policies(), _gaps)
def test_advance_never_pages_a_key_twice(policy: Policy, gaps: list[int]) -> None:
    now = T0
    escalation, pages = start(policy, now=now)
    keys = _keys(pages)
    for gap in gaps:
        now += timedelta(seconds=gap)
        escalation, pages = advance(escalation, now=now)
        keys += _keys(pages)
    assert len(keys) == len(set(keys))


@settings(max_examples=150, deadline=None)
@given(_policies(), _actions)
def test_no_key_is_paged_twice_across_acks_resolves_and_reopens(
    policy: Policy, actions: list[tuple[str, int]]
) -> None:
    now = T0
    escalation, pages = start(policy, now=now)
    keys = _keys(pages)
    for action, gap in actions:
        now += timedelta(seconds=gap)
        escalation, pages = _apply(escalation, action, now)
        keys += _keys(pages)
    assert len(keys) == len(set(keys))


@settings(max_examples=150, deadline=None)
@given(_policies(), st.lists(st.integers(min_value=0, max_value=7_200), min_size=1))
def test_every_step_of_every_pass_is_paged_in_order_before_exhaustion(
    policy: Policy, lateness: list[int]
) -> None:
    escalation, _ = start(policy, now=T0)
    paged = [(0, 0)]
    calls = 0
    while escalation.next_at is not None:
        # The engine wakes at or after each due time, late by a random amount.
        now = escalation.next_at + timedelta(seconds=lateness[calls % len(lateness)])
        calls += 1
        escalation, pages = advance(escalation, now=now)
        paged += sorted({(p.cycle, p.step) for p in pages})
    steps = len(policy.steps)
    assert escalation.status is EscalationStatus.EXHAUSTED
    assert len(paged) == steps * (policy.repeat + 1)
    assert paged == [(c, s) for c in range(policy.repeat + 1) for s in range(steps)]
