"""/api/v1/services: the service catalog (reads for viewers, writes for admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from fireline.domain.access.token import Principal
from fireline.domain.errors import FieldError, Invalid
from fireline.domain.service import make_service
from fireline.services import catalog
from fireline.web import auth
from fireline.web.deps import container_of
from fireline.web.schemas import API, ServiceBody, ServiceRead

router = APIRouter(prefix=f"{API}/services", tags=["services"])

Viewer = Annotated[Principal, Depends(auth.viewer)]
Admin = Annotated[Principal, Depends(auth.admin)]


@router.get("", response_model=list[ServiceRead])
def list_(request: Request, _who: Viewer) -> list[ServiceRead]:
    """List every service."""
    return [ServiceRead.of(s) for s in catalog.list_services(container_of(request).uow)]


@router.get("/{name}", response_model=ServiceRead)
def get(name: str, request: Request, _who: Viewer) -> ServiceRead:
    """Read one service."""
    return ServiceRead.of(catalog.get_service(container_of(request).uow, name=name))


@router.put("/{name}", response_model=ServiceRead)
def put(
    name: str, body: ServiceBody, request: Request, response: Response, _who: Admin
) -> ServiceRead:
    """Create or replace a service (the name in the path must match the body)."""
    if body.name != name:
        raise Invalid([FieldError("name", f"must match the path ({name!r})")])
    service = make_service(
        name=body.name,
        team=body.team,
        tier=body.tier,
        regions=body.regions,
        description=body.description,
    )
    c = container_of(request)
    created = catalog.put_service(c.uow, service=service, now=c.clock.now())
    response.status_code = 201 if created else 200
    return ServiceRead.of(service)
