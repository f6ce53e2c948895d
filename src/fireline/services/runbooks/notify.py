"""A runbook `notify` step: a message to a configured channel, through the paging outbox."""

from __future__ import annotations

from datetime import datetime

from fireline.domain.automation import ActionResult
from fireline.domain.configuration import OnCall
from fireline.domain.incidents.incident import Incident
from fireline.domain.incidents.ref import format_ref
from fireline.domain.notify.message import Message, MessageKind
from fireline.runbooks.guards import RenderedAction
from fireline.services.paging.brief import brief_of
from fireline.services.paging.destinations import channel_target
from fireline.store.repos.notification import Outgoing
from fireline.store.uow import Tx


def queue_notification(
    tx: Tx,
    incident: Incident,
    rendered: RenderedAction,
    *,
    oncall: OnCall,
    key: str,
    now: datetime,
) -> ActionResult:
    """Queue the step's message to its `channel:<name>` target, once per step run (`key`)."""
    target = str(rendered.params["target"])
    kind, _, name = target.partition(":")
    channel = oncall.channel(name) if kind == "channel" else None
    if channel is None:
        return ActionResult.failed(f"{target} is not a configured channel (channel:<name>)")
    text = str(rendered.params["message"])
    message = Message(
        MessageKind.TRIGGER,
        brief_of(incident, oncall=oncall, summary=text),
        idempotency_key=f"{format_ref(incident.id)}:{key}",
        created_at=now,
        details={"runbook_message": text},
    )
    outgoing = Outgoing(
        message, channel_target(name), channel.kind.value, incident_id=incident.id, not_before=now
    )
    tx.notifications.queue(outgoing, now=now)
    return ActionResult.done(f"queued to {target}: {text}")
