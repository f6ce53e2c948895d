"""Audit: recompute every timeline's hash chain and report the first break of each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby

from fireline.domain.incidents.timeline import ChainBreak, ChainHead, TimelineEvent, verify_chain
from fireline.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What verification found: how much it checked and every broken chain."""

    incidents: int
    events: int
    breaks: list[ChainBreak]

    @property
    def intact(self) -> bool:
        """Tell whether every chain verified."""
        return not self.breaks


def verify_timelines(
    uow: UnitOfWork,
    *,
    incident_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> AuditReport:
    """Verify the chains of one incident or all; `progress` hears each incident's event count."""
    with uow.read() as tx:
        heads = tx.incidents.heads(incident_id)
        breaks: list[ChainBreak] = []
        seen: set[int] = set()
        total = 0
        for owner, events in groupby(tx.timeline.stream(incident_id), key=lambda e: e.incident_id):
            seen.add(owner)
            group = _Counted(events)
            found = verify_chain(owner, group, head=heads.get(owner, ChainHead()))
            if found is not None:
                breaks.append(found)
            group.drain()
            total += group.count
            if progress is not None:
                progress(group.count)
        breaks += [
            ChainBreak(owner, 1, f"all {head.seq} events are missing from the timeline")
            for owner, head in heads.items()
            if owner not in seen and head.seq
        ]
    breaks.sort(key=lambda b: (b.incident_id, b.seq))
    return AuditReport(len(heads), total, breaks)


class _Counted:
    """Counts the events drawn from one chain; `drain()` reads what a failed check left."""

    def __init__(self, events: Iterator[TimelineEvent]) -> None:
        self._events = events
        self.count = 0

    def __iter__(self) -> Iterator[TimelineEvent]:
        for event in self._events:
            self.count += 1
            yield event

    def drain(self) -> None:
        """Read (and count) the rest of the events."""
        for _ in self:
            pass
