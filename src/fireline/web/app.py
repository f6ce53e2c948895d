"""`create_app(container)`: the FastAPI application, built as often as tests like."""

from __future__ import annotations

import weakref

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

import fireline
from fireline.services.container import Container
from fireline.services.group_commit import GroupCommit
from fireline.web import errors, health, inbound, intake
from fireline.web.api.v1 import incidents, jobs, notifications, oncall, services, tokens
from fireline.web.api.v1 import runbooks as runbook_api
from fireline.web.intake_fast_path import IntakeFastPath
from fireline.web.metrics import Metrics, MetricsMiddleware

# Intake transactions in flight at once on PostgreSQL (SQLite has one writer: one).
INTAKE_TRANSACTIONS = 4
DESCRIPTION = """\
Incident management for the document-processing platform.

Authenticate with `Authorization: Bearer <token>` (create one with `fireline token create`).
Errors are RFC 9457 `application/problem+json`; `errors[].field` names each bad field.
"""


def create_app(container: Container) -> FastAPI:
    """Build the HTTP application around a use-case container."""
    app: FastAPI = FastAPIOffline(
        title="Fireline",
        version=fireline.__version__,
        description=DESCRIPTION,
        static_url="/static/docs",
        redoc_url=None,
    )
    metrics = Metrics()
    metrics.watch_incidents(container.uow)
    app.state.container = container
    app.state.metrics = metrics
    app.state.intake = GroupCommit(
        container.uow, transactions=1 if container.uow.dialect == "sqlite" else INTAKE_TRANSACTIONS
    )
    app.state.wakeups = weakref.WeakKeyDictionary()
    errors.install(app)
    for module in (
        health,
        intake,
        inbound,
        incidents,
        jobs,
        notifications,
        oncall,
        runbook_api,
        services,
        tokens,
    ):
        app.include_router(module.router)
    # Added first, so it runs inside the metrics middleware (which counts its requests too).
    app.add_middleware(IntakeFastPath, routes=intake.router.routes, endpoints=intake.FAST_ENDPOINTS)
    app.add_middleware(MetricsMiddleware, metrics=metrics, clock=container.clock)
    return app
