"""Liveness, readiness and Prometheus metrics; these need no token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from fireline.services.health import readiness
from fireline.web.deps import container_of, metrics_of

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Say the process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Say whether the database answers and its schema is current (503 otherwise)."""
    report = readiness(container_of(request).uow)
    body = {"status": "ready" if report.ready else "not ready", "checks": report.checks}
    return JSONResponse(body, status_code=200 if report.ready else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Expose metrics in the Prometheus text format."""
    return Response(generate_latest(metrics_of(request).registry), media_type=CONTENT_TYPE_LATEST)
