"""Mirroring an acknowledgement or resolution to every channel the incident was paged to.

PagerDuty and Opsgenie keep their own copy of the incident (dedup key / alias = our ref), so an
ack or resolve in Fireline must reach them; Slack and webhooks are told too. Users' own contact
methods are not: a person paged by SMS needs no SMS saying someone else took it.
"""

from __future__ import annotations

from datetime import datetime

from fireline.domain.incidents.incident import Incident
from fireline.domain.incidents.ref import format_ref
from fireline.domain.notify.message import Message, MessageKind
from fireline.services.paging.brief import brief_of
from fireline.services.paging.destinations import CHANNEL
from fireline.store.repos.notification import Outgoing
from fireline.store.uow import Tx


def mirror_change(
    tx: Tx, incident: Incident, *, kind: MessageKind, actor: str, now: datetime
) -> int:
    """Queue `kind` (acknowledge or resolve) to each channel triggered for `incident`."""
    targets = tx.notifications.triggered_targets(incident.id, prefix=CHANNEL)
    brief = brief_of(incident, oncall=None)
    for target, channel_kind in targets:
        key = f"{format_ref(incident.id)}:{kind.value}:v{incident.version}:{target}"
        message = Message(
            kind, brief, idempotency_key=key, created_at=now, details={"actor": actor}
        )
        tx.notifications.queue(
            Outgoing(message, target, channel_kind, incident_id=incident.id, not_before=now),
            now=now,
        )
    return len(targets)
