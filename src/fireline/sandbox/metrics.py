"""Prometheus metrics of the platform, in a registry of their own (never the global one).

`platform_registry(read)` returns a `CollectorRegistry` whose one collector reads the platform
through `read()` at each scrape, so `/metrics` and the query API (`series(registry)`) see the
same numbers. The caller holds whatever lock guards the platform while it collects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from fireline.sandbox.model import LATENCY_BUCKETS, TOKENS, Platform

FAILED_JOBS_SHOWN = 50
# The classic text format, which every Prometheus reads (the client's "latest" may be newer).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Series:
    """One sample as the query API sees it: a name, its labels and a value."""

    name: str
    labels: dict[str, str]
    value: float


class PlatformCollector(Collector):
    """Collects the platform's metrics from `read()` at each scrape."""

    def __init__(self, read: Callable[[], Platform]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        """Yield every metric family of the platform as it is now."""
        platform = self._read()
        yield from _gauges(platform)
        yield _token_expiry(platform)
        yield _failed_jobs(platform)
        yield from _counters(platform)
        yield _latency(platform)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _gauges(platform: Platform) -> Iterator[Metric]:
    yield _gauge("platform_queue_depth", "Jobs waiting for a worker.", len(platform.queue))
    yield _gauge(
        "platform_queue_oldest_age_seconds",
        "Seconds the oldest queued job has waited.",
        platform.queue_oldest_age_s(),
    )
    yield _gauge(
        "platform_upload_error_ratio",
        "Failed uploads / uploads over the last minute.",
        platform.upload_error_ratio(),
    )
    yield _gauge(
        "platform_extraction_error_ratio",
        "Failed extractions / extractions over the last minute.",
        platform.extraction_error_ratio(),
    )
    yield _gauge("platform_extraction_workers", "Extraction workers running.", platform.workers)
    yield _gauge(
        "platform_intake_paused", "1 while intake is paused, else 0.", int(platform.intake_paused)
    )
    yield _gauge(
        "platform_dead_letters", "Failed jobs waiting in the dead letters.", platform.dead_letters
    )


def _token_expiry(platform: Platform) -> Metric:
    family = GaugeMetricFamily(
        "platform_token_expiry_seconds",
        "Seconds until the service token expires (negative once expired).",
        labels=["token"],
    )
    for name in TOKENS:
        left = platform.tokens[name].expires_at - platform.simulated_at
        family.add_metric([name], left.total_seconds())
    return family


def _failed_jobs(platform: Platform) -> Metric:
    family = GaugeMetricFamily(
        "platform_failed_job_info",
        f"1 for each of the {FAILED_JOBS_SHOWN} most recent failed jobs (upload or extraction).",
        labels=["job_id", "stage", "reason"],
    )
    for failed in platform.recent_failures(FAILED_JOBS_SHOWN):
        family.add_metric([failed.job_id, failed.stage, failed.reason], 1)
    return family


def _counters(platform: Platform) -> Iterator[Metric]:
    totals = platform.totals
    yield CounterMetricFamily(
        "platform_uploads", "Uploads received (accepted or failed).", value=totals.uploads
    )
    yield CounterMetricFamily(
        "platform_upload_failures", "Uploads that failed.", value=totals.upload_failures
    )
    yield CounterMetricFamily(
        "platform_jobs_completed", "Jobs extracted successfully.", value=totals.jobs_completed
    )
    yield CounterMetricFamily(
        "platform_jobs_failed", "Jobs whose extraction failed.", value=totals.jobs_failed
    )


def _latency(platform: Platform) -> Metric:
    totals = platform.totals
    cumulative = list(accumulate(totals.latency_buckets))
    buckets = [(str(b), float(n)) for b, n in zip(LATENCY_BUCKETS, cumulative, strict=True)]
    buckets.append(("+Inf", float(totals.latency_count)))
    return HistogramMetricFamily(
        "platform_job_latency_seconds",
        "Seconds from upload to extracted, per completed job.",
        buckets=buckets,
        sum_value=totals.latency_sum,
    )


def platform_registry(read: Callable[[], Platform]) -> CollectorRegistry:
    """Return a new registry holding only the platform's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector(read))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """Return the registry in the Prometheus text format (version 0.0.4)."""
    return generate_latest(registry)


def series(registry: CollectorRegistry) -> list[Series]:
    """Return every sample of the registry, named as in the exposition (`…_total`, `…_bucket`)."""
    return [
        Series(sample.name, dict(sample.labels), float(sample.value))
        for family in registry.collect()
        for sample in family.samples
    ]
