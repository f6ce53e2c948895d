"""The one place where errors become HTTP: RFC 9457 problem+json naming each bad field."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from fireline.domain.errors import (
    Conflict,
    FirelineError,
    Forbidden,
    Invalid,
    Malformed,
    NotFound,
    StaleVersion,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger("fireline.web")

PROBLEM_JSON = "application/problem+json"

# Checked in order, so subclasses come before their bases.
_STATUS: list[tuple[type[FirelineError], int, str]] = [
    (StaleVersion, 409, "stale-version"),
    (Conflict, 409, "conflict"),
    (Invalid, 422, "invalid"),
    (Malformed, 400, "malformed"),
    (TooLarge, 413, "too-large"),
    (NotFound, 404, "not-found"),
    (Unauthenticated, 401, "unauthenticated"),
    (Forbidden, 403, "forbidden"),
    (Unavailable, 503, "unavailable"),
]


def problem(
    request: Request, *, status: int, slug: str, title: str, detail: str, **extra: Any
) -> JSONResponse:
    """Return a problem+json response."""
    body: dict[str, Any] = {
        "type": f"urn:fireline:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    headers = {"WWW-Authenticate": 'Bearer realm="fireline"'} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "5"}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


async def domain_problem(request: Request, error: Exception) -> JSONResponse:
    """Return the problem+json answer to a domain error (400, 404, 409, 413, 503, ...)."""
    assert isinstance(error, FirelineError)
    for kind, status, slug in _STATUS:
        if isinstance(error, kind):
            extra: dict[str, Any] = {}
            if isinstance(error, Invalid):
                extra["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
            if isinstance(error, StaleVersion):
                extra["current_version"] = error.current_version
            if isinstance(error, Unavailable):
                log.warning("unavailable: %s", error.detail)
            return problem(
                request,
                status=status,
                slug=slug,
                title=_title(slug),
                detail=error.detail,
                **extra,
            )
    return await _unexpected(request, error)


def _field(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in {"body", "query", "path", "header"} else list(loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or (str(loc[0]) if loc else "body")


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = list(error.errors())
    if any(p.get("type") == "json_invalid" for p in problems):
        where = problems[0].get("ctx", {}).get("error", "malformed JSON")
        return problem(
            request,
            status=400,
            slug="malformed-json",
            title="Malformed JSON",
            detail=f"the request body is not valid JSON: {where}",
        )
    errors = [{"field": _field(tuple(p["loc"])), "message": p["msg"]} for p in problems]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(
        request,
        status=422,
        slug="invalid",
        title="Invalid",
        detail=f"invalid input: {summary}",
        errors=errors,
    )


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    slug = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
    return problem(
        request, status=error.status_code, slug=slug, title=_title(slug), detail=str(error.detail)
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        request,
        status=500,
        slug="internal",
        title="Internal error",
        detail="an unexpected error occurred; it has been logged",
    )


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(FirelineError, domain_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
