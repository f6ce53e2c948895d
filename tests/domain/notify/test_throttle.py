"""Send throttles: when the next send to a contact method (or a user) may go out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fireline.domain.notify.destination import ChannelKind
from fireline.domain.notify.throttle import (
    DEFAULT_THROTTLES,
    MESSAGE_THROTTLE,
    NO_THROTTLE,
    SMS_THROTTLE,
    USER_THROTTLE,
    VOICE_THROTTLE,
    Throttle,
    ThrottleRule,
    next_allowed,
)

T0 = datetime(2026, 3, 29, 4, 0, tzinfo=UTC)
ONE_PER_MINUTE = ThrottleRule(1, timedelta(minutes=1))
THREE_PER_QUARTER = ThrottleRule(3, timedelta(minutes=15))
LAYERED = Throttle((ONE_PER_MINUTE, THREE_PER_QUARTER))


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _allows(throttle: Throttle, sent_at: Sequence[datetime], at: datetime) -> bool:
    """Oracle: every rule has fewer than `count` earlier sends in the window ending at `at`."""
    return all(
        sum(1 for s in sent_at if at - rule.per < s <= at) < rule.count for rule in throttle.rules
    )


def test_with_no_history_a_send_may_go_now() -> None:
    assert next_allowed(LAYERED, sent_at=[], now=T0) == T0


def test_one_per_minute_waits_for_the_last_send_to_leave_the_window() -> None:
    throttle = Throttle((ONE_PER_MINUTE,))
    assert next_allowed(throttle, sent_at=[_at(0)], now=_at(0.5)) == _at(1)
    assert next_allowed(throttle, sent_at=[_at(0)], now=_at(1)) == _at(1)


def test_every_layer_must_allow_the_send() -> None:
    sent = [_at(0), _at(2), _at(4)]
    # One per minute is satisfied at minute 5, but three per 15 minutes holds until 15.
    assert next_allowed(LAYERED, sent_at=sent, now=_at(5)) == _at(15)


def test_sends_older_than_every_window_do_not_count() -> None:
    sent = [_at(-60), _at(-50), _at(-40), _at(-30)]
    assert next_allowed(LAYERED, sent_at=sent, now=T0) == T0


def test_the_order_of_the_history_does_not_matter() -> None:
    sent = [_at(4), _at(0), _at(2)]
    assert next_allowed(LAYERED, sent_at=sent, now=_at(5)) == _at(15)


def test_a_send_recorded_after_now_counts_against_the_rules() -> None:
    # Another engine process with a clock a little ahead recorded this send.
    throttle = Throttle((ONE_PER_MINUTE,))
    assert next_allowed(throttle, sent_at=[_at(0.1)], now=T0) == _at(1.1)


def test_no_throttle_always_allows_now() -> None:
    sent = [T0] * 50
    assert next_allowed(NO_THROTTLE, sent_at=sent, now=T0) == T0
    assert NO_THROTTLE.window == timedelta(0)


def test_window_is_the_longest_rule() -> None:
    assert LAYERED.window == timedelta(minutes=15)
    assert SMS_THROTTLE.window == timedelta(hours=3)


def test_a_user_throttle_and_a_contact_method_throttle_combine_by_the_later_answer() -> None:
    sms_sent = [_at(-1.5)]
    user_sent = [_at(-0.01), _at(-0.02), _at(-0.03), _at(-0.04), _at(-0.05)]
    per_method = next_allowed(SMS_THROTTLE, sent_at=sms_sent, now=T0)
    per_user = next_allowed(USER_THROTTLE, sent_at=user_sent, now=T0)
    send_at = max(per_method, per_user)
    assert send_at == _at(-0.05) + timedelta(seconds=5)
    assert _allows(SMS_THROTTLE, sms_sent, send_at)
    assert _allows(USER_THROTTLE, user_sent, send_at)


@pytest.mark.parametrize(("count", "per"), [(0, timedelta(minutes=1)), (1, timedelta(0))])
def test_a_rule_needs_a_positive_count_and_window(count: int, per: timedelta) -> None:
    with pytest.raises(ValueError, match="count"):
        ThrottleRule(count, per)


def test_now_must_be_aware_utc() -> None:
    with pytest.raises(ValueError, match="aware UTC"):
        next_allowed(LAYERED, sent_at=[], now=datetime(2026, 3, 29, 4, 0))  # noqa: DTZ001


def test_defaults_cover_every_channel_kind() -> None:
    assert set(DEFAULT_THROTTLES) == set(ChannelKind)
    assert DEFAULT_THROTTLES[ChannelKind.EMAIL] is MESSAGE_THROTTLE
    assert DEFAULT_THROTTLES[ChannelKind.SLACK] is MESSAGE_THROTTLE
    assert DEFAULT_THROTTLES[ChannelKind.WEBHOOK] is MESSAGE_THROTTLE
    assert DEFAULT_THROTTLES[ChannelKind.PAGERDUTY] is NO_THROTTLE


def test_phone_defaults_follow_goalert() -> None:
    minute, quarter, hour = timedelta(minutes=1), timedelta(minutes=15), timedelta(hours=1)
    assert DEFAULT_THROTTLES[ChannelKind.VOICE] == VOICE_THROTTLE
    assert VOICE_THROTTLE.rules == (
        ThrottleRule(1, minute),
        ThrottleRule(3, quarter),
        ThrottleRule(7, hour),
        ThrottleRule(15, 3 * hour),
    )
    assert DEFAULT_THROTTLES[ChannelKind.SMS] == SMS_THROTTLE
    assert SMS_THROTTLE.rules == (
        ThrottleRule(1, minute),
        ThrottleRule(5, quarter),
        ThrottleRule(11, hour),
        ThrottleRule(21, 3 * hour),
    )


def test_a_fourth_voice_call_in_a_quarter_hour_waits() -> None:
    sent = [_at(0), _at(1), _at(2)]
    assert next_allowed(VOICE_THROTTLE, sent_at=sent, now=_at(3)) == _at(15)


_rules = st.builds(
    ThrottleRule,
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=7_200).map(lambda s: timedelta(seconds=s)),
)
_throttles = st.one_of(
    st.builds(Throttle, st.lists(_rules, max_size=4).map(tuple)),
    st.sampled_from([*DEFAULT_THROTTLES.values(), USER_THROTTLE]),
)
# Send histories up to four hours back, to the second, as an engine would load them.
_histories = st.lists(
    st.integers(min_value=0, max_value=4 * 3_600).map(lambda s: T0 - timedelta(seconds=s)),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(_throttles, _histories)
def test_sending_at_next_allowed_breaks_no_rule(
    throttle: Throttle, sent_at: list[datetime]
) -> None:
    allowed_at = next_allowed(throttle, sent_at=sent_at, now=T0)
    assert allowed_at >= T0
    assert _allows(throttle, sent_at, allowed_at)


@settings(max_examples=200, deadline=None)
@given(_throttles, _histories)
def test_next_allowed_is_the_earliest_allowed_instant(
    throttle: Throttle, sent_at: list[datetime]
) -> None:
    allowed_at = next_allowed(throttle, sent_at=sent_at, now=T0)
    if allowed_at > T0:
        assert not _allows(throttle, sent_at, allowed_at - timedelta(seconds=1))
        assert not _allows(throttle, sent_at, allowed_at - timedelta(microseconds=1))
