"""Inbound webhooks from paging providers: PagerDuty v3 acks and resolutions flow back.

`POST /integrations/pagerduty/webhook` takes a PagerDuty webhook subscription's events. The
`X-PagerDuty-Signature` must match one of the `webhook_secrets` of a configured pagerduty
channel (401 otherwise; several secrets allow rotation). Events that change nothing are
answered 200 and say why, so PagerDuty does not retry them.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from fireline.domain.errors import NotFound, Unauthenticated
from fireline.domain.notify.destination import ChannelKind
from fireline.integrations.pagerduty.inbound import SIGNATURE_HEADER, parse_event, verify_signature
from fireline.services.paging.inbound import apply_pagerduty_event
from fireline.web.body import read_body
from fireline.web.deps import container_of, live_config_of

log = logging.getLogger("fireline.inbound")
router = APIRouter(tags=["intake"])


@router.post("/integrations/pagerduty/webhook")
async def pagerduty_webhook(request: Request) -> dict[str, Any]:
    """Apply a PagerDuty webhook (v3) event: acknowledge, resolve or reopen an incident."""
    secrets = _webhook_secrets(request)
    body = await read_body(request)
    if not verify_signature(
        body=body, header=request.headers.get(SIGNATURE_HEADER), secrets=secrets
    ):
        log.warning("PagerDuty webhook refused: bad or missing %s", SIGNATURE_HEADER)
        raise Unauthenticated(f"the {SIGNATURE_HEADER} header does not match a webhook secret")
    event = parse_event(body)
    if event is None:
        return {"status": "ignored", "reason": "an event type Fireline does not act on"}
    container = container_of(request)
    result = await run_in_threadpool(
        apply_pagerduty_event, container.uow, event, now=container.clock.now()
    )
    if result.applied is not None:
        return {"status": "applied", "incident": result.applied, "event": event.event_type}
    return {"status": "ignored", "reason": result.ignored}


def _webhook_secrets(request: Request) -> list[str]:
    config = live_config_of(request).current()
    channels = config.oncall.channels if config is not None else ()
    secrets = [
        secret
        for channel in channels
        if channel.kind is ChannelKind.PAGERDUTY
        for secret in channel.settings.get("webhook_secrets", "").split(",")
        if secret
    ]
    if not secrets:
        raise NotFound("no pagerduty channel has webhook_secrets: PagerDuty webhooks are off")
    return secrets
