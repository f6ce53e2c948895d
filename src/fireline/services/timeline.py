"""Appending sealed events to an incident's timeline, and reading it back."""

from __future__ import annotations

from datetime import datetime

from fireline.domain.incidents.incident import Entry
from fireline.domain.incidents.timeline import ChainHead, TimelineEvent, next_event
from fireline.domain.page import Page, check_limit
from fireline.store.uow import Tx, UnitOfWork

MAX_TIMELINE_PAGE = 1000


def seal(tx: Tx, incident_id: int, *, entry: Entry, actor: str, at: datetime) -> TimelineEvent:
    """Write `entry` as the next event of the chain; the caller records the new head."""
    head = tx.incidents.head(incident_id)
    event = next_event(
        head, incident_id=incident_id, at=at, actor=actor, kind=entry.kind, data=entry.data
    )
    tx.timeline.add(event)
    return event


def append(tx: Tx, incident_id: int, *, entry: Entry, actor: str, at: datetime) -> TimelineEvent:
    """Seal `entry` onto the incident's chain; the caller holds the incident's row lock."""
    event = seal(tx, incident_id, entry=entry, actor=actor, at=at)
    tx.incidents.set_head(incident_id, ChainHead(event.seq, event.hash))
    return event


def read_timeline(
    uow: UnitOfWork, *, incident_id: int, after_seq: int, limit: int
) -> Page[TimelineEvent]:
    """Return a page of the incident's timeline, oldest first."""
    check_limit(limit, maximum=MAX_TIMELINE_PAGE)
    with uow.read() as tx:
        tx.incidents.get(incident_id)
        events = tx.timeline.list_(incident_id, after_seq=after_seq, limit=limit + 1)
        return Page.cut(events, limit)
