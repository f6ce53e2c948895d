"""The tamper-evident timeline: each event's hash covers its content and the previous hash.

`hash = SHA-256(canonical JSON of {incident_id, seq, at, actor, kind, data, prev_hash})`.
Editing, reordering or removing any event breaks the chain at that event; removing events
from the end is caught by comparing the chain's tip with the head stored on the incident.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fireline.domain.canonical_json import canonical_json, normalized

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event of an incident's timeline, as stored."""

    incident_id: int
    seq: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where and why an incident's chain stops verifying."""

    incident_id: int
    seq: int
    reason: str


def format_instant(at: datetime) -> str:
    """Return `at` as the fixed-width UTC text that hashes use (microseconds, `Z`)."""
    if at.tzinfo is None:
        raise ValueError("timeline instants must be timezone-aware")
    utc = at if at.tzinfo is UTC else at.astimezone(UTC)
    if utc.year < 1000:  # isoformat pads the year to four digits; strftime's %Y does not
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as the strftime above, several times faster.
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def event_hash(
    *,
    incident_id: int,
    seq: int,
    at: datetime,
    actor: str,
    kind: str,
    data: dict[str, Any],
    prev_hash: str,
    plain: bool = False,
) -> str:
    """Return the SHA-256 hex digest that seals one event.

    `plain`: `data` is known to be plain JSON (`normalized` said so), so it is not checked again.
    """
    body = {
        "incident_id": incident_id,
        "seq": seq,
        "at": format_instant(at),
        "actor": actor,
        "kind": kind,
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body, checked=plain)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The tip of an incident's chain: the last seq and its hash (seq 0 before any event)."""

    seq: int = 0
    hash: str = GENESIS_HASH


def next_event(
    head: ChainHead,
    *,
    incident_id: int,
    at: datetime,
    actor: str,
    kind: str,
    data: dict[str, Any],
) -> TimelineEvent:
    """Return the event that follows `head` in the chain of incident `incident_id`."""
    seq = head.seq + 1
    at = at.astimezone(UTC)
    clean, plain = normalized(data)
    digest = event_hash(
        incident_id=incident_id,
        seq=seq,
        at=at,
        actor=actor,
        kind=kind,
        data=clean,
        prev_hash=head.hash,
        plain=plain,
    )
    return TimelineEvent(incident_id, seq, at, actor, kind, clean, head.hash, digest)


def verify_chain(
    incident_id: int, events: Iterable[TimelineEvent], *, head: ChainHead
) -> ChainBreak | None:
    """Recompute one incident's chain; return the first break, or None if it is intact."""
    expected_seq, prev_hash = 1, GENESIS_HASH
    for event in events:
        reason = _event_problem(event, incident_id, expected_seq, prev_hash)
        if reason is not None:
            return ChainBreak(incident_id, event.seq, reason)
        expected_seq, prev_hash = event.seq + 1, event.hash
    if expected_seq - 1 != head.seq or prev_hash != head.hash:
        return ChainBreak(
            incident_id,
            expected_seq,
            f"the chain ends at seq {expected_seq - 1} but the incident's head is seq "
            f"{head.seq} ({head.hash[:12]}…): events were removed or the head was altered",
        )
    return None


def _event_problem(
    event: TimelineEvent, incident_id: int, expected_seq: int, prev_hash: str
) -> str | None:
    if event.incident_id != incident_id:
        return f"belongs to incident {event.incident_id}, not {incident_id}"
    if event.seq != expected_seq:
        return f"expected seq {expected_seq}, found {event.seq}: events missing or reordered"
    if event.prev_hash != prev_hash:
        return "prev_hash does not match the previous event's hash"
    recomputed = event_hash(
        incident_id=event.incident_id,
        seq=event.seq,
        at=event.at,
        actor=event.actor,
        kind=event.kind,
        data=event.data,
        prev_hash=event.prev_hash,
    )
    if recomputed != event.hash:
        return "content does not match its hash: the event was edited"
    return None
