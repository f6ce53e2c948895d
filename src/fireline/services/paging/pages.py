"""Turning an escalation step's pages into outbox rows: channels, users, whoever is on call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fireline.domain.configuration import OnCall
from fireline.domain.escalation.planner import Page
from fireline.domain.escalation.policy import TargetKind
from fireline.domain.incidents.incident import Entry, Incident
from fireline.domain.incidents.ref import format_ref
from fireline.domain.notify.message import IncidentBrief, Message, MessageKind
from fireline.domain.oncall.override import Override
from fireline.domain.oncall.schedule import on_call
from fireline.domain.user import User
from fireline.services.paging.brief import brief_of
from fireline.services.paging.destinations import channel_target, user_target
from fireline.services.timeline import append
from fireline.store.repos.notification import Outgoing
from fireline.store.uow import Tx

ACTOR = "fireline:escalation"
INSTANT = timedelta(microseconds=1)


def queue_pages(
    tx: Tx, incident: Incident, pages: list[Page], *, oncall: OnCall, now: datetime
) -> None:
    """Queue every page of one step and record the step, with who it reached, on the timeline."""
    brief = brief_of(incident, oncall=oncall)
    reached: list[dict[str, Any]] = []
    for page in pages:
        reached.append(_queue(tx, incident, page, brief=brief, oncall=oncall, now=now))
    first = pages[0]
    append(
        tx,
        incident.id,
        entry=Entry(
            "escalation.step", {"cycle": first.cycle, "step": first.step + 1, "targets": reached}
        ),
        actor=ACTOR,
        at=now,
    )


def _queue(
    tx: Tx, incident: Incident, page: Page, *, brief: IncidentBrief, oncall: OnCall, now: datetime
) -> dict[str, Any]:
    target = page.target
    said: dict[str, Any] = {"target": f"{target.kind.value}:{target.name}"}
    key = f"{format_ref(incident.id)}:{page.idempotency_key_part}"
    if target.kind is TargetKind.CHANNEL:
        channel = oncall.channel(target.name)
        if channel is None:
            return {**said, "problem": "no such channel in the live configuration"}
        message = Message(
            MessageKind.TRIGGER, brief, idempotency_key=key, created_at=now, step=page.step
        )
        tx.notifications.queue(
            Outgoing(
                message,
                channel_target(channel.name),
                channel.kind.value,
                incident_id=incident.id,
                not_before=now,
            ),
            now=now,
        )
        return said
    name: str | None = target.name
    if target.kind is TargetKind.SCHEDULE:
        name = _on_call(tx, oncall, target.name, now=now)
        if name is None:
            return {**said, "problem": "nobody is on call"}
        said["on_call"] = name
    user = oncall.user(name) if name is not None else None
    if user is None:
        return {**said, "problem": f"user {name!r} is not in the live configuration"}
    said["via"] = _queue_user(tx, incident, user, key=key, brief=brief, step=page.step, now=now)
    return said


def _on_call(tx: Tx, oncall: OnCall, schedule_name: str, *, now: datetime) -> str | None:
    schedule = oncall.schedule(schedule_name)
    if schedule is None:
        return None
    overrides = [
        Override(o.user, o.start_at, o.end_at, str(o.id))
        for o in tx.overrides.list_(schedule=schedule_name, start_at=now, end_at=now + INSTANT)
    ]
    return on_call(schedule, overrides, at=now)


def _queue_user(
    tx: Tx,
    incident: Incident,
    user: User,
    *,
    key: str,
    brief: IncidentBrief,
    step: int,
    now: datetime,
) -> list[str]:
    via: list[str] = []
    for method, due_at in user.notifications(paged_at=now):
        message = Message(
            MessageKind.TRIGGER,
            brief,
            idempotency_key=f"{key}:{user.name}/{method.name}",
            created_at=now,
            recipient=user.name,
            step=step,
        )
        tx.notifications.queue(
            Outgoing(
                message,
                user_target(user.name, method.name),
                method.kind.value,
                incident_id=incident.id,
                not_before=due_at,
            ),
            now=now,
        )
        via.append(method.name)
    return via
