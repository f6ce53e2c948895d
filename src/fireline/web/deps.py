"""Request-scoped access to what `create_app` was given."""

from __future__ import annotations

from fastapi import Request

from fireline.services.container import Container
from fireline.web.metrics import Metrics


def container_of(request: Request) -> Container:
    """Return the use-case container of the app serving `request`."""
    container: Container = request.app.state.container
    return container


def metrics_of(request: Request) -> Metrics:
    """Return the metrics of the app serving `request`."""
    metrics: Metrics = request.app.state.metrics
    return metrics
