"""Layered send throttles: no more than `count` sends in any `per` window, for every rule.

A throttle delays a send; it never drops one. The engine loads the sends of the last
`throttle.window` for a contact method (and, separately, for the user), asks `next_allowed`
of each throttle and sends at the later of the answers (each answer only moves later as
time passes without sends, so the later one satisfies both).

The defaults follow GoAlert's `engine/message/ratelimit.go` (alert notifications):
1 per minute for every SMS, voice or e-mail contact method; voice also 3 per 15 minutes,
7 per hour and 15 per 3 hours; SMS 5 per 15 minutes, 11 per hour and 21 per 3 hours.
GoAlert marks its hour-long rules "smooth" (spreading the allowance over the window); these
rules are plain sliding windows, which allow the same totals in shorter bursts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType

from fireline.domain.notify.destination import ChannelKind


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """At most `count` sends in any window of length `per` (a send at `t` leaves at `t + per`)."""

    count: int
    per: timedelta

    def __post_init__(self) -> None:
        if self.count < 1 or self.per <= timedelta(0):
            raise ValueError("a throttle rule needs count >= 1 and a positive window")


@dataclass(frozen=True, slots=True)
class Throttle:
    """Rules that must all allow a send; no rules means never throttled."""

    rules: tuple[ThrottleRule, ...]

    @property
    def window(self) -> timedelta:
        """Return how far back sends matter: the longest window of any rule."""
        return max((rule.per for rule in self.rules), default=timedelta(0))


def next_allowed(throttle: Throttle, *, sent_at: Sequence[datetime], now: datetime) -> datetime:
    """Return `now` if every rule allows one more send, else the earliest instant all do.

    A send counts against a rule at instant `t` while `t - per < sent_at`; sends recorded
    after `now` (clock skew between engine processes) count in full rather than being ignored.
    """
    if now.tzinfo is None or now.utcoffset() != timedelta(0):
        raise ValueError("now must be an aware UTC datetime")
    latest_first = sorted(sent_at, reverse=True)
    allowed_at = now
    for rule in throttle.rules:
        if len(latest_first) >= rule.count:
            # The rule allows a send once its count-th most recent send has left the window.
            allowed_at = max(allowed_at, latest_first[rule.count - 1] + rule.per)
    return allowed_at


NO_THROTTLE = Throttle(())

VOICE_THROTTLE = Throttle(
    (
        ThrottleRule(1, timedelta(minutes=1)),
        ThrottleRule(3, timedelta(minutes=15)),
        ThrottleRule(7, timedelta(hours=1)),
        ThrottleRule(15, timedelta(hours=3)),
    )
)
"""Per voice contact method (GoAlert's per-contact-method voice rules)."""

SMS_THROTTLE = Throttle(
    (
        ThrottleRule(1, timedelta(minutes=1)),
        ThrottleRule(5, timedelta(minutes=15)),
        ThrottleRule(11, timedelta(hours=1)),
        ThrottleRule(21, timedelta(hours=3)),
    )
)
"""Per SMS contact method (GoAlert's per-contact-method SMS rules)."""

MESSAGE_THROTTLE = Throttle((ThrottleRule(1, timedelta(minutes=1)),))
"""Per e-mail, Slack or webhook contact method: GoAlert's e-mail rule, 1 per minute.

GoAlert does not throttle Slack or webhooks per contact method; Fireline gives them the
e-mail rule so a flood of incidents cannot flood one person's DMs either.
"""

USER_THROTTLE = Throttle(
    (
        ThrottleRule(5, timedelta(seconds=5)),
        ThrottleRule(30, timedelta(minutes=15)),
    )
)
"""Across all of one user's contact methods together.

GoAlert has no per-user rule; 5 per 5 seconds is its global per-channel-kind burst limit
(`GlobalCMThrottle`), enough for a user's methods to fire at once, and 30 per 15 minutes
is Fireline's flood cap, above what any single contact method's rules allow.
"""

DEFAULT_THROTTLES: Mapping[ChannelKind, Throttle] = MappingProxyType(
    {
        ChannelKind.VOICE: VOICE_THROTTLE,
        ChannelKind.SMS: SMS_THROTTLE,
        ChannelKind.EMAIL: MESSAGE_THROTTLE,
        ChannelKind.SLACK: MESSAGE_THROTTLE,
        ChannelKind.WEBHOOK: MESSAGE_THROTTLE,
        # PagerDuty and Opsgenie are pagers themselves: they deduplicate and rate-limit by
        # their own keys, and holding a page back from another pager only delays a human.
        ChannelKind.PAGERDUTY: NO_THROTTLE,
        ChannelKind.OPSGENIE: NO_THROTTLE,
    }
)
"""Per-contact-method throttle for each channel kind."""
