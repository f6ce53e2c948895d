"""/api/v1/tokens: API tokens, for admins; a secret is shown only in the create response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from fireline.domain.access.token import Principal
from fireline.services import tokens as use
from fireline.web import auth
from fireline.web.deps import container_of
from fireline.web.schemas import API, TokenCreate, TokenIssued, TokenRead

router = APIRouter(prefix=f"{API}/tokens", tags=["tokens"])

Admin = Annotated[Principal, Depends(auth.admin)]


@router.get("", response_model=list[TokenRead])
def list_(request: Request, _who: Admin) -> list[TokenRead]:
    """List tokens (never their secrets)."""
    return [TokenRead.of(t) for t in use.list_tokens(container_of(request).uow)]


@router.post("", status_code=201, response_model=TokenIssued)
def create(body: TokenCreate, request: Request, who: Admin) -> TokenIssued:
    """Create a token; the response holds its secret, which is not shown again."""
    c = container_of(request)
    issued = use.create_token(
        c.uow, name=body.name, role=body.role, created_by=who.name, now=c.clock.now()
    )
    return TokenIssued(**TokenRead.of(issued.token).model_dump(), secret=issued.secret)


@router.delete("/{name}", response_model=TokenRead)
def revoke(name: str, request: Request, _who: Admin) -> TokenRead:
    """Revoke a token."""
    c = container_of(request)
    return TokenRead.of(use.revoke_token(c.uow, name=name, now=c.clock.now()))
