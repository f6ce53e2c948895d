"""The hash chain: sealing, and finding the first edited, reordered or missing event."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from fireline.domain.canonical_json import canonical_json
from fireline.domain.incidents.timeline import (
    GENESIS_HASH,
    ChainHead,
    TimelineEvent,
    format_instant,
    next_event,
    verify_chain,
)

T0 = datetime(2026, 10, 25, 0, 59, 59, 999999, tzinfo=UTC)


def _chain(length: int, incident_id: int = 1) -> tuple[list[TimelineEvent], ChainHead]:
    events: list[TimelineEvent] = []
    head = ChainHead()
    for n in range(length):
        event = next_event(
            head,
            incident_id=incident_id,
            at=T0 + timedelta(seconds=n),
            actor="alice",
            kind="note.added",
            data={"text": f"step {n}", "n": n},
        )
        events.append(event)
        head = ChainHead(event.seq, event.hash)
    return events, head


def test_first_event_links_to_genesis_and_the_next_links_to_it() -> None:
    events, _ = _chain(2)
    assert events[0].seq == 1
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert len(events[1].hash) == 64


def test_canonical_json_is_independent_of_key_order_and_keeps_unicode() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == canonical_json({"a": "é", "b": 1})
    assert canonical_json({"a": "é"}) == '{"a":"é"}'.encode()


def test_instants_hash_the_same_in_any_zone() -> None:
    head = ChainHead()
    utc = next_event(head, incident_id=1, at=T0, actor="a", kind="k", data={})
    cest = next_event(
        head,
        incident_id=1,
        at=T0.astimezone(timezone(timedelta(hours=2))),
        actor="a",
        kind="k",
        data={},
    )
    assert utc.hash == cest.hash


def test_intact_chain_verifies() -> None:
    events, head = _chain(5)
    assert verify_chain(1, events, head=head) is None


def test_edited_event_is_named() -> None:
    events, head = _chain(5)
    events[2] = replace(events[2], data={"text": "nothing happened", "n": 2})
    found = verify_chain(1, events, head=head)
    assert found is not None
    assert (found.seq, "edited") == (3, found.reason.split()[-1])


def test_edited_actor_or_time_is_detected() -> None:
    events, head = _chain(3)
    events[1] = replace(events[1], actor="mallory")
    assert verify_chain(1, events, head=head) is not None
    events, head = _chain(3)
    events[1] = replace(events[1], at=events[1].at + timedelta(microseconds=1))
    assert verify_chain(1, events, head=head) is not None


def test_removed_middle_event_breaks_at_the_gap() -> None:
    events, head = _chain(5)
    del events[1]
    found = verify_chain(1, events, head=head)
    assert found is not None
    assert found.seq == 3
    assert "expected seq 2" in found.reason


def test_reordered_events_are_detected() -> None:
    events, head = _chain(4)
    events[1], events[2] = events[2], events[1]
    found = verify_chain(1, events, head=head)
    assert found is not None
    assert found.seq == 3


def test_renumbered_events_after_a_removal_are_detected() -> None:
    events, head = _chain(4)
    del events[1]
    events = [replace(e, seq=i + 1) for i, e in enumerate(events)]
    found = verify_chain(1, events, head=ChainHead(3, events[-1].hash))
    assert found is not None
    assert found.seq == 2


def test_removed_last_event_is_caught_by_the_head() -> None:
    events, head = _chain(4)
    found = verify_chain(1, events[:-1], head=head)
    assert found is not None
    assert found.seq == 4
    assert "removed" in found.reason


def test_event_moved_from_another_incident_is_detected() -> None:
    events, head = _chain(2)
    foreign, _ = _chain(1, incident_id=2)
    found = verify_chain(1, [events[0], replace(foreign[0], seq=2)], head=head)
    assert found is not None
    assert found.seq == 2


@given(st.datetimes(timezones=st.timezones()))
def test_an_instant_is_written_as_strftime_writes_it(at: datetime) -> None:
    # Every stored hash was made with strftime's text; the faster path must write the same.
    expected = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert format_instant(at) == expected
