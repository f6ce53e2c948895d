"""Prometheus metrics of one app: requests, latency, access denials and incidents by status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fireline.clock import Clock
from fireline.domain.incidents.status import Status
from fireline.services.incidents import count_by_status
from fireline.store.uow import UnitOfWork


class Metrics:
    """The registry and instruments of one app (tests build many apps, so none is global)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fireline_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fireline_http_request_duration_seconds",
            "Time to serve an HTTP request",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.intake = Counter(
            "fireline_alerts_received",
            "Alerts received, by integration kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.denials = Counter(
            "fireline_auth_denials",
            "Requests refused for missing, bad or too weak tokens",
            ["reason"],
            registry=self.registry,
        )

    def watch_incidents(self, uow: UnitOfWork) -> None:
        """Report the number of incidents in each status at every scrape."""
        self.registry.register(_IncidentCollector(uow))


class _IncidentCollector(Collector):
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily("fireline_incidents", "Incidents by status", labels=["status"])
        counts = count_by_status(self._uow)
        for status in Status:
            gauge.add_metric([status.value], counts.get(status.value, 0))
        yield gauge


class MetricsMiddleware:
    """Counts and times every request by its route template (never by raw path)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, clock: Clock) -> None:
        self._app = app
        self._metrics = metrics
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request and record it."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = self._clock.monotonic()
        status = {"code": 500}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, recording_send)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self._metrics.requests.labels(method, template, str(status["code"])).inc()
            self._metrics.latency.labels(method, template).observe(
                self._clock.monotonic() - started
            )
