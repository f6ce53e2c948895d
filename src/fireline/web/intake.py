"""Alert intake over HTTP: Alertmanager, Grafana, PagerDuty Events v2 and Fireline's own JSON.

The integration key authenticates. A 2xx answer is sent only after the batch is committed;
if the database cannot be reached the answer is 503, which every sender retries. Bad bodies
are 400 naming each field (PagerDuty-shaped on /v2/enqueue); an unknown key is 404; a body
over 1 MiB is 413.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from fireline.domain.access.token import Principal
from fireline.domain.alerts.alert import AlertIn
from fireline.domain.configuration import Integration, IntegrationKind
from fireline.domain.errors import Invalid, Malformed, NotFound, Unauthenticated
from fireline.domain.incidents.ref import format_ref
from fireline.integrations.alertmanager import intake as alertmanager
from fireline.integrations.generic import intake as generic
from fireline.integrations.grafana import intake as grafana
from fireline.integrations.pagerduty import intake as pagerduty
from fireline.services.heartbeats import beat
from fireline.services.ingest import IngestRequest, IngestResult
from fireline.web import auth
from fireline.web.body import MAX_BODY, read_body
from fireline.web.deps import container_of, intake_of, live_config_of, metrics_of, wakeups_of
from fireline.web.errors import problem
from fireline.web.fast_json import FastJSONResponse

log = logging.getLogger("fireline.intake")

UNRECOGNIZED = {
    "status": "Unrecognized object",
    "message": "Event object format is unrecognized",
    "errors": ["JSON parse error"],
}
Parser = Callable[..., list[AlertIn]]

router = APIRouter(tags=["intake"])
Responder = Annotated[Principal, Depends(auth.responder)]


async def _body(request: Request) -> Any:
    """Read at most MAX_BODY bytes and decode them as JSON."""
    raw = await read_body(request, limit=MAX_BODY)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise Malformed(f"the body is not valid JSON: {error}") from error


def _integration(request: Request, key: str, kind: IntegrationKind) -> Integration:
    config = live_config_of(request).current()
    found = config.integration_by_key(key) if config is not None else None
    if found is None or found.kind is not kind:
        metrics_of(request).intake.labels(kind.value, "unknown-key").inc()
        raise NotFound(f"no {kind.value} integration has that key")
    return found


async def _ingest(
    request: Request, integration: Integration, alerts: list[AlertIn]
) -> IngestResult:
    config = live_config_of(request).current()
    assert config is not None
    now = container_of(request).clock.now()
    intake = intake_of(request)
    pending, lead = intake.submit(IngestRequest(config, integration, alerts, now))
    if lead:  # nobody is committing: this request commits what is queued, its own included
        asyncio.get_running_loop().run_in_executor(None, intake.drain)
    result = await wakeups_of(request).watch(pending)
    for text in result.problems:
        log.warning("integration %s: %s", integration.name, text)
    metrics_of(request).intake.labels(integration.kind.value, "accepted").inc(len(alerts))
    return result


def _summary(result: IngestResult) -> dict[str, Any]:
    return {
        "status": "ok",
        "alerts": result.accepted,
        "new": result.new,
        "repeats": result.repeats,
        "resolved": result.resolved,
        "acknowledged": result.acknowledged,
        "heartbeats": result.heartbeats,
        "unmatched": result.unmatched,
        "incidents": [format_ref(i) for i in result.touched],
        "opened": [format_ref(i) for i in result.opened],
        "problems": result.problems,
    }


def _bad_request(request: Request, invalid: Invalid) -> JSONResponse:
    errors = [{"field": e.field, "message": e.message} for e in invalid.errors]
    return problem(
        request, status=400, slug="invalid", title="Invalid", detail=invalid.detail, errors=errors
    )


async def _receive(
    request: Request, key: str, kind: IntegrationKind, parse: Parser
) -> JSONResponse:
    integration = _integration(request, key, kind)
    payload = await _body(request)
    received_at: datetime = container_of(request).clock.now()
    try:
        alerts = parse(payload, received_at=received_at)
    except Invalid as invalid:
        metrics_of(request).intake.labels(kind.value, "invalid").inc()
        return _bad_request(request, invalid)
    result = await _ingest(request, integration, alerts)
    return FastJSONResponse(_summary(result), status_code=200)


@router.post("/integrations/alertmanager/{key}")
async def alertmanager_webhook(key: str, request: Request) -> JSONResponse:
    """Receive an Alertmanager webhook notification (payload version 4)."""
    return await _receive(request, key, IntegrationKind.ALERTMANAGER, alertmanager.parse)


@router.post("/integrations/grafana/{key}")
async def grafana_webhook(key: str, request: Request) -> JSONResponse:
    """Receive a Grafana unified-alerting webhook notification."""
    return await _receive(request, key, IntegrationKind.GRAFANA, grafana.parse)


@router.post("/api/v1/alerts")
async def generic_alerts(request: Request) -> JSONResponse:
    """Receive one alert or a batch of up to 1,000 (Authorization: Bearer <integration key>)."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        raise Unauthenticated("send the integration key as 'Authorization: Bearer <key>'")
    return await _receive(request, key.strip(), IntegrationKind.GENERIC, generic.parse)


@router.post("/v2/enqueue", status_code=202)
async def pagerduty_enqueue(request: Request) -> JSONResponse:
    """Receive a PagerDuty Events API v2 event; answers are shaped like PagerDuty's."""
    try:
        payload = await _body(request)
        integration = _integration(
            request, pagerduty.routing_key(payload), IntegrationKind.PAGERDUTY
        )
        alerts = pagerduty.parse(payload, received_at=container_of(request).clock.now())
    except Malformed:
        return JSONResponse(UNRECOGNIZED, status_code=400)
    except Invalid as invalid:
        metrics_of(request).intake.labels("pagerduty", "invalid").inc()
        body = pagerduty.invalid_body(pagerduty.error_strings(invalid))
        return JSONResponse(body, status_code=400)
    except NotFound as unknown:
        return JSONResponse(pagerduty.invalid_body([unknown.detail]), status_code=404)
    result = await _ingest(request, integration, alerts)
    return FastJSONResponse(pagerduty.accepted_body(result.dedup_keys[0]), status_code=202)


@router.post("/api/v1/heartbeats/{name}", tags=["heartbeats"])
async def heartbeat(name: str, request: Request, who: Responder) -> JSONResponse:
    """Record that heartbeat `name` arrived (a token with the responder role sends it)."""
    container = container_of(request)
    config = live_config_of(request).current()
    if config is None:
        raise NotFound(f"no heartbeat named {name!r} is configured")
    result = await run_in_threadpool(
        beat, container.uow, config=config, name=name, now=container.clock.now()
    )
    recovered = format_ref(result.recovered_incident) if result.recovered_incident else None
    return JSONResponse({"name": name, "by": who.name, "recovered": recovered})


# Served by web/intake_fast_path.py ahead of FastAPI's routing (the hottest routes there are).
FAST_ENDPOINTS = (alertmanager_webhook, grafana_webhook, generic_alerts, pagerduty_enqueue)
