"""When to try a failed delivery again: exponential backoff with full jitter, capped.

The provider's own Retry-After wins when it asks for longer. After `max_attempts` the message is
dead: it is recorded on the incident's timeline and handed to the fallback channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fireline.domain.notify.delivery import Delivery, Outcome


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff `base * 2**(attempt-1)` up to `cap`, jittered; dead after `max_attempts`."""

    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(minutes=10)
    max_attempts: int = 8


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a message after an attempt: sent, retry at `retry_at`, or dead."""

    outcome: Outcome
    retry_at: datetime | None = None


def judge(
    delivery: Delivery, *, attempts: int, now: datetime, policy: RetryPolicy, jitter: float
) -> Verdict:
    """Decide after attempt number `attempts`; `jitter` is a random number in [0, 1)."""
    if delivery.outcome is Outcome.SENT:
        return Verdict(Outcome.SENT)
    if delivery.outcome is Outcome.FAILED or attempts >= policy.max_attempts:
        return Verdict(Outcome.FAILED)
    wait = backoff(attempts, policy=policy, jitter=jitter)
    if delivery.retry_after is not None:
        wait = max(wait, delivery.retry_after)
    return Verdict(Outcome.RETRY, retry_at=now + wait)


def backoff(attempts: int, *, policy: RetryPolicy, jitter: float) -> timedelta:
    """The wait after attempt `attempts` (1-based): full jitter over the exponential ceiling.

    Full jitter (a random wait between half and all of the ceiling here, so that it never
    collapses to zero) spreads retries of a provider outage instead of stampeding together.
    """
    ceiling: timedelta = min(policy.base * (2 ** max(attempts - 1, 0)), policy.cap)
    return ceiling * (0.5 + jitter / 2)
