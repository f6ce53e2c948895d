"""Request-scoped access to what `create_app` was given."""

from __future__ import annotations

import asyncio
import weakref

from fastapi import Request

from fireline.services.container import Container
from fireline.services.group_commit import GroupCommit
from fireline.services.ingest import IngestResult
from fireline.services.live_config import LiveConfig
from fireline.web.metrics import Metrics
from fireline.web.wakeups import Wakeups


def container_of(request: Request) -> Container:
    """Return the use-case container of the app serving `request`."""
    container: Container = request.app.state.container
    return container


def live_config_of(request: Request) -> LiveConfig:
    """Return the live configuration of the app serving `request`."""
    live: LiveConfig = request.app.state.container.live_config
    return live


def metrics_of(request: Request) -> Metrics:
    """Return the metrics of the app serving `request`."""
    metrics: Metrics = request.app.state.metrics
    return metrics


def intake_of(request: Request) -> GroupCommit:
    """Return the group commit that alert intake of the app serving `request` goes through."""
    intake: GroupCommit = request.app.state.intake
    return intake


def wakeups_of(request: Request) -> Wakeups[IngestResult]:
    """Return how intake results reach the event loop serving `request` (one per loop)."""
    per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Wakeups[IngestResult]] = (
        request.app.state.wakeups
    )
    loop = asyncio.get_running_loop()
    found = per_loop.get(loop)
    if found is None:
        found = per_loop[loop] = Wakeups(loop)
    return found
