"""Impacted jobs: link, unlink and list an incident's job IDs; find a job's incidents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from fireline.domain.access.token import Principal
from fireline.domain.incidents.ref import format_ref, parse_ref
from fireline.services import jobs as use
from fireline.services.jobs import LinkResult
from fireline.web import auth
from fireline.web.deps import container_of
from fireline.web.schemas import (
    API,
    IncidentRead,
    JobIncidents,
    JobPage,
    JobRead,
    JobsIn,
    LinkResultRead,
)

router = APIRouter(prefix=API, tags=["jobs"])

Viewer = Annotated[Principal, Depends(auth.viewer)]
Responder = Annotated[Principal, Depends(auth.responder)]


@router.post("/incidents/{ref}/jobs", response_model=LinkResultRead)
def link(ref: str, body: JobsIn, request: Request, who: Responder) -> LinkResultRead:
    """Link job IDs to the incident (bulk; repeats and already-linked IDs are skipped)."""
    return _change(use.link_jobs, ref, body.job_ids, request, who)


@router.post("/incidents/{ref}/jobs/unlink", response_model=LinkResultRead)
def unlink(ref: str, body: JobsIn, request: Request, who: Responder) -> LinkResultRead:
    """Unlink job IDs from the incident."""
    return _change(use.unlink_jobs, ref, body.job_ids, request, who)


@router.delete("/incidents/{ref}/jobs/{job_id}", response_model=LinkResultRead)
def unlink_one(ref: str, job_id: str, request: Request, who: Responder) -> LinkResultRead:
    """Unlink one job ID from the incident."""
    return _change(use.unlink_jobs, ref, [job_id], request, who)


def _change(
    change: Callable[..., LinkResult],
    ref: str,
    job_ids: list[str],
    request: Request,
    who: Principal,
) -> LinkResultRead:
    c = container_of(request)
    incident_id = parse_ref(ref)
    result = change(
        c.uow, incident_id=incident_id, job_ids=job_ids, actor=who.name, now=c.clock.now()
    )
    return LinkResultRead(
        incident=format_ref(incident_id),
        requested=result.requested,
        changed=result.changed,
        total=result.total,
    )


@router.get("/incidents/{ref}/jobs", response_model=JobPage)
def list_(
    ref: str,
    request: Request,
    _who: Viewer,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> JobPage:
    """List the incident's job IDs in order, paged by `after`."""
    incident_id = parse_ref(ref)
    page = use.list_jobs(
        container_of(request).uow, incident_id=incident_id, after=after, limit=limit
    )
    next_after = page.items[-1].job_id if page.more else None
    return JobPage(
        incident=format_ref(incident_id),
        items=[JobRead.of(j) for j in page.items],
        next_after=next_after,
    )


@router.get("/jobs/{job_id}/incidents", response_model=JobIncidents)
def incidents_of_job(job_id: str, request: Request, _who: Viewer) -> JobIncidents:
    """List the incidents that touched a job, newest first."""
    found = use.incidents_for_job(container_of(request).uow, job_id=job_id)
    return JobIncidents(job_id=job_id, incidents=[IncidentRead.of(i) for i in found])
