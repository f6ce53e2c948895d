"""Retry decisions: backoff grows and is jittered, Retry-After wins, dead after N attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.retry import RetryPolicy, backoff, judge

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(base=timedelta(seconds=5), cap=timedelta(minutes=10), max_attempts=8)


def test_sent_is_sent() -> None:
    verdict = judge(Delivery.sent("ref"), attempts=1, now=NOW, policy=POLICY, jitter=0.5)
    assert verdict.outcome is Outcome.SENT


def test_permanent_failure_is_dead_at_once() -> None:
    verdict = judge(Delivery.failed("400"), attempts=1, now=NOW, policy=POLICY, jitter=0.5)
    assert verdict.outcome is Outcome.FAILED


def test_transient_failure_is_dead_after_max_attempts() -> None:
    retry = Delivery.retry("503")
    assert judge(retry, attempts=7, now=NOW, policy=POLICY, jitter=0.0).outcome is Outcome.RETRY
    assert judge(retry, attempts=8, now=NOW, policy=POLICY, jitter=0.0).outcome is Outcome.FAILED


def test_retry_after_wins_when_longer_than_the_backoff() -> None:
    asked = Delivery.retry("429", after=timedelta(minutes=3))
    verdict = judge(asked, attempts=1, now=NOW, policy=POLICY, jitter=0.9)
    assert verdict.retry_at == NOW + timedelta(minutes=3)


def test_backoff_doubles_up_to_the_cap() -> None:
    ceilings = [backoff(n, policy=POLICY, jitter=0.999999) for n in range(1, 10)]
    assert [round(c.total_seconds()) for c in ceilings] == [5, 10, 20, 40, 80, 160, 320, 600, 600]


@settings(max_examples=200, deadline=None)
@given(attempts=st.integers(1, 30), jitter=st.floats(0, 1, exclude_max=True))
def test_backoff_stays_between_half_and_all_of_its_ceiling(attempts: int, jitter: float) -> None:
    wait = backoff(attempts, policy=POLICY, jitter=jitter)
    ceiling = min(POLICY.base * 2 ** (attempts - 1), POLICY.cap)
    assert ceiling / 2 <= wait <= ceiling
