"""/api/v1/incidents: open, list, read, edit, move through the lifecycle, note, staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from fireline.domain.access.token import Principal
from fireline.domain.incidents.query import IncidentFilter, decode_cursor, encode_cursor
from fireline.domain.incidents.ref import parse_ref
from fireline.domain.incidents.status import Transition
from fireline.services import incidents as use
from fireline.services.timeline import read_timeline
from fireline.web import auth
from fireline.web.deps import container_of
from fireline.web.schemas import (
    API,
    AlertRead,
    EventRead,
    IncidentAlerts,
    IncidentCreate,
    IncidentPage,
    IncidentPatch,
    IncidentQuery,
    IncidentRead,
    NoteIn,
    RoleIn,
    TimelinePage,
    TransitionIn,
)

router = APIRouter(prefix=f"{API}/incidents", tags=["incidents"])

Viewer = Annotated[Principal, Depends(auth.viewer)]
Responder = Annotated[Principal, Depends(auth.responder)]
Commander = Annotated[Principal, Depends(auth.commander)]


@router.post("", status_code=201, response_model=IncidentRead)
def create(
    body: IncidentCreate, request: Request, response: Response, who: Responder
) -> IncidentRead:
    """Open an incident (status `triggered`)."""
    c = container_of(request)
    change = use.create_incident(
        c.uow,
        title=body.title,
        severity=body.severity,
        service=body.service,
        regions=body.regions,
        actor=who.name,
        now=c.clock.now(),
        config=c.live_config.current(),
    )
    response.headers["Location"] = f"{API}/incidents/{change.incident.ref}"
    return IncidentRead.of(change.incident)


@router.get("", response_model=IncidentPage)
def list_(
    request: Request, _who: Viewer, params: Annotated[IncidentQuery, Query()]
) -> IncidentPage:
    """List incidents, newest first, filtered and paged by cursor."""
    query = IncidentFilter(
        statuses=tuple(params.status),
        severities=tuple(params.severity),
        service=params.service,
        region=params.region,
        job_id=params.job_id,
        created_since=params.created_since,
        created_until=params.created_until,
    )
    before = decode_cursor(params.cursor) if params.cursor else None
    page = use.list_incidents(
        container_of(request).uow, query=query, before_id=before, limit=params.limit
    )
    next_cursor = encode_cursor(page.items[-1].id) if page.more else None
    return IncidentPage(items=[IncidentRead.of(i) for i in page.items], next_cursor=next_cursor)


@router.get("/{ref}", response_model=IncidentRead)
def get(ref: str, request: Request, _who: Viewer) -> IncidentRead:
    """Read one incident by `INC-12` or `12`."""
    return IncidentRead.of(use.get_incident(container_of(request).uow, incident_id=parse_ref(ref)))


@router.patch("/{ref}", response_model=IncidentRead)
def patch(ref: str, body: IncidentPatch, request: Request, who: Responder) -> IncidentRead:
    """Change title, severity or regions; `expected_version` must be the current version."""
    c = container_of(request)
    change = use.edit_incident(
        c.uow,
        incident_id=parse_ref(ref),
        expected_version=body.expected_version,
        actor=who.name,
        now=c.clock.now(),
        title=body.title,
        severity=body.severity,
        regions=body.regions,
    )
    return IncidentRead.of(change.incident)


def _transition(
    action: Transition, ref: str, body: TransitionIn | None, request: Request, who: Principal
) -> IncidentRead:
    c = container_of(request)
    body = body or TransitionIn()
    change = use.transition_incident(
        c.uow,
        incident_id=parse_ref(ref),
        action=action,
        actor=who.name,
        now=c.clock.now(),
        expected_version=body.expected_version,
        reason=body.reason,
    )
    return IncidentRead.of(change.incident)


def _transition_route(action: Transition, summary: str) -> None:
    def endpoint(
        ref: str, request: Request, who: Responder, body: TransitionIn | None = None
    ) -> IncidentRead:
        return _transition(action, ref, body, request, who)

    router.add_api_route(
        f"/{{ref}}/{action.value}",
        endpoint,
        methods=["POST"],
        response_model=IncidentRead,
        summary=summary,
        description=f"{summary}. An illegal move or a stale `expected_version` is a 409.",
        name=action.value,
    )


_transition_route(Transition.ACKNOWLEDGE, "Acknowledge a triggered incident")
_transition_route(Transition.MITIGATE, "Mark the impact mitigated")
_transition_route(Transition.RESOLVE, "Resolve the incident")
_transition_route(Transition.REOPEN, "Reopen a resolved incident (it becomes triggered again)")


@router.post("/{ref}/notes", status_code=201, response_model=EventRead)
def add_note(ref: str, body: NoteIn, request: Request, who: Responder) -> EventRead:
    """Add a note to the timeline."""
    c = container_of(request)
    change = use.add_note(
        c.uow, incident_id=parse_ref(ref), text=body.text, actor=who.name, now=c.clock.now()
    )
    assert change.event is not None
    return EventRead.of(change.event)


@router.post("/{ref}/roles", response_model=IncidentRead)
def change_role(ref: str, body: RoleIn, request: Request, who: Commander) -> IncidentRead:
    """Assign a role (commander, communications_lead, scribe, responder) or remove it."""
    c = container_of(request)
    change = use.change_role(
        c.uow,
        incident_id=parse_ref(ref),
        role=body.role,
        person=body.person,
        actor=who.name,
        now=c.clock.now(),
        remove=body.remove,
        expected_version=body.expected_version,
    )
    return IncidentRead.of(change.incident)


@router.get("/{ref}/timeline", response_model=TimelinePage)
def timeline(
    ref: str,
    request: Request,
    _who: Viewer,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TimelinePage:
    """Read the hash-chained timeline, oldest first."""
    incident_id = parse_ref(ref)
    page = read_timeline(
        container_of(request).uow, incident_id=incident_id, after_seq=after_seq, limit=limit
    )
    next_seq = page.items[-1].seq if page.more else None
    return TimelinePage(
        incident=f"INC-{incident_id}",
        items=[EventRead.of(e) for e in page.items],
        next_after_seq=next_seq,
    )


@router.get("/{ref}/alerts", response_model=IncidentAlerts)
def alerts(
    ref: str,
    request: Request,
    _who: Viewer,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> IncidentAlerts:
    """List the alerts attached to the incident (firing first), with occurrence counts."""
    incident_id = parse_ref(ref)
    found = use.incident_alerts(container_of(request).uow, incident_id=incident_id, limit=limit)
    return IncidentAlerts(
        incident=f"INC-{incident_id}",
        items=[AlertRead.model_validate(a, from_attributes=True) for a in found],
    )
