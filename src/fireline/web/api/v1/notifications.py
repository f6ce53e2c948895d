"""/api/v1/incidents/{ref}/notifications: who was paged, how, and what became of each page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from fireline.domain.access.token import Principal
from fireline.domain.incidents.ref import format_ref, parse_ref
from fireline.services.paging.queries import incident_notifications, outbox_counts
from fireline.store.repos.notification import NotificationView
from fireline.web import auth
from fireline.web.deps import container_of
from fireline.web.schemas import API

router = APIRouter(prefix=API, tags=["paging"])
Viewer = Annotated[Principal, Depends(auth.viewer)]


class NotificationRead(BaseModel):
    """One message of the outbox."""

    id: int
    idempotency_key: str = Field(description="Stable across retries; the provider's dedup key")
    incident: str | None
    kind: str = Field(description="trigger, acknowledge, resolve or test")
    target: str = Field(description="channel:<name> or user:<name>/<contact method>")
    channel_kind: str
    recipient: str | None
    step: int | None = Field(description="Escalation step (1-based) that sent it")
    status: str = Field(description="pending, sending, sent, failed (will retry), dead, cancelled")
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = Field(description="Why the last attempt failed (secrets redacted)")
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, view: NotificationView) -> NotificationRead:
        """Build from the store's view."""
        return cls(
            id=view.id,
            idempotency_key=view.idempotency_key,
            incident=None if view.incident_id is None else format_ref(view.incident_id),
            kind=view.kind,
            target=view.target,
            channel_kind=view.channel_kind,
            recipient=view.recipient,
            step=None if view.step is None else view.step + 1,
            status=view.status,
            attempts=view.attempts,
            next_attempt_at=view.next_attempt_at,
            last_error=view.last_error,
            created_at=view.created_at,
            sent_at=view.sent_at,
        )


@router.get("/incidents/{ref}/notifications", response_model=list[NotificationRead])
def list_for_incident(ref: str, request: Request, _who: Viewer) -> list[NotificationRead]:
    """Every notification about the incident, oldest first."""
    views = incident_notifications(container_of(request).uow, incident_id=parse_ref(ref))
    return [NotificationRead.of(v) for v in views]


@router.get("/notifications/summary", response_model=dict[str, int])
def summary(request: Request, _who: Viewer) -> dict[str, int]:
    """How many messages stand in each outbox status (dead ones need a look)."""
    return outbox_counts(container_of(request).uow)
