"""Request-scoped access to what `create_app` was given."""

from __future__ import annotations

from fastapi import Request

from fireline.services.container import Container
from fireline.services.group_commit import GroupCommit
from fireline.services.live_config import LiveConfig
from fireline.web.metrics import Metrics


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
