"""Bearer-token authentication and role checks; every denial is logged and counted."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fireline.domain.access.role import AccessRole, require
from fireline.domain.access.token import Principal
from fireline.domain.errors import Forbidden, Unauthenticated
from fireline.services.tokens import authenticate
from fireline.web.deps import container_of, metrics_of

log = logging.getLogger("fireline.auth")

_bearer = HTTPBearer(auto_error=False, description="An API token from `fireline token create`")


def requires(needed: AccessRole) -> Callable[..., Principal]:
    """Return a dependency that authenticates the caller and checks they hold `needed`."""

    def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Principal:
        where = f"{request.method} {request.url.path}"
        client = request.client.host if request.client else "-"
        if credentials is None:
            _deny(request, "missing", f"no bearer token on {where} from {client}")
            raise Unauthenticated("send an API token as 'Authorization: Bearer <token>'")
        try:
            principal = authenticate(container_of(request).uow, secret=credentials.credentials)
        except Unauthenticated as error:
            _deny(request, "invalid", f"{error.detail} on {where} from {client}")
            raise
        try:
            require(principal.role, needed, action=where)
        except Forbidden:
            _deny(request, "forbidden", f"token {principal.name!r} ({principal.role}) on {where}")
            raise
        return principal

    return dependency


def refuse(request: Request, principal: Principal, error: Forbidden) -> Forbidden:
    """Count and log a refusal an endpoint decided itself (as role checks are); return it."""
    where = f"{request.method} {request.url.path}"
    _deny(request, "forbidden", f"token {principal.name!r} ({principal.role}) on {where}: {error}")
    return error


def _deny(request: Request, reason: str, message: str) -> None:
    metrics_of(request).denials.labels(reason).inc()
    log.warning("access denied (%s): %s", reason, message)


viewer = requires(AccessRole.VIEWER)
responder = requires(AccessRole.RESPONDER)
commander = requires(AccessRole.COMMANDER)
admin = requires(AccessRole.ADMIN)
