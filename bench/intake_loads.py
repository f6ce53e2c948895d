"""The loads of bench/intake.py, and how one load is measured and reduced to a `Phase`.

Each load is a list of prepared requests (Alertmanager webhooks to Fireline, or alerts to
Alertmanager's `/api/v2/alerts`) and the step that sends one of them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from harness import busy_between, cpu_sample, percentile, process_cpu_s
from intake_config import ALERTMANAGER_KEY, NEW_SERVICE, STORM_KEY
from intake_figures import ALERTMANAGER, BATCHES, NEW_INCIDENT, STORM, Phase, Target
from load import Connection, Run, Samples, Step, drive, send_each, timed
from workload import (
    api_v2_body,
    distinct_labels,
    http_get,
    http_post,
    new_incident_labels,
    rfc3339,
    storm_labels,
    webhook_alert,
    webhook_body,
)

LIST_LIMIT = 500


@dataclass(frozen=True)
class Load:
    """What a phase sends: `jobs` steps on `concurrency` connections, `alerts` in all."""

    name: str
    jobs: int
    alerts: int
    concurrency: int
    step: Step
    series: str = "post"
    derived: tuple[str, ...] = ()  # series that time more than one request


def spread(latencies: dict[str, list[float]], series: str) -> tuple[float, float, float]:
    """Return p50, p99 and max of one series, in milliseconds."""
    ordered = sorted(latencies.get(series, []))
    top = ordered[-1] if ordered else 0.0
    return percentile(ordered, 0.50) * 1000, percentile(ordered, 0.99) * 1000, top * 1000


def measure(target: Target, load: Load, client: str) -> tuple[Phase, Run]:
    """Run one load against `target` with `client` connections and reduce it to a Phase."""
    server_before, machine_before = process_cpu_s(target.pid), cpu_sample()
    run = drive((target.host, target.port), load.jobs, load.concurrency, load.step, client)
    server_cpu = process_cpu_s(target.pid) - server_before
    latencies = run.samples.latencies
    p50, p99, top = spread(latencies, load.series)
    extra: dict[str, float] = {}
    for series in latencies.keys() - {load.series}:
        extra[f"{series}_p50_ms"], extra[f"{series}_p99_ms"], _ = spread(latencies, series)
    phase = Phase(
        name=load.name,
        target=target.name,
        alerts=load.alerts,
        requests=sum(len(v) for k, v in latencies.items() if k not in load.derived),
        concurrency=load.concurrency,
        errors=sum(run.samples.errors.values()),
        wall_s=run.wall_s,
        alerts_per_s=load.alerts / run.wall_s if run.wall_s > 0 else 0.0,
        p50_ms=p50,
        p99_ms=p99,
        max_ms=top,
        client_cpu_s=run.client_cpu_s,
        server_cpu_s=server_cpu,
        machine_busy=busy_between(machine_before, cpu_sample()),
        extra=extra,
    )
    return phase, run


# --- the loads ------------------------------------------------------------------------------


def webhook_path(key: str) -> str:
    """Return the Alertmanager intake path of an integration key."""
    return f"/integrations/alertmanager/{key}"


def one_per_request(
    target: Target, name: str, prefix: str, *, count: int, concurrency: int, groups: int
) -> Load:
    """Distinct alerts, each in a webhook of its own, spread over `groups` group keys.

    `prefix` makes the instances unique; two phases with the same prefix send the same alerts.
    """
    starts_at = rfc3339(now())
    path = webhook_path(ALERTMANAGER_KEY)
    requests = [
        http_post(
            target.host,
            path,
            webhook_body([webhook_alert(distinct_labels(prefix, i, i % groups), starts_at)]),
        )
        for i in range(count)
    ]
    return Load(name, count, count, concurrency, send_each(requests, "post"))


def batches(target: Target, *, count: int, size: int, concurrency: int, groups: int) -> Load:
    """Distinct alerts in webhooks of `size`, each webhook one group (alertname and region)."""
    starts_at = rfc3339(now())
    path = webhook_path(ALERTMANAGER_KEY)
    requests = []
    for batch in range(math.ceil(count / size)):
        indexes = range(batch * size, min(count, (batch + 1) * size))
        alerts = [
            webhook_alert(distinct_labels(BATCHES, i, batch % groups), starts_at) for i in indexes
        ]
        requests.append(http_post(target.host, path, webhook_body(alerts)))
    return Load(BATCHES, len(requests), count, concurrency, send_each(requests, "post"))


def storm(target: Target, *, count: int, keys: int, concurrency: int) -> Load:
    """`count` alerts over only `keys` distinct label sets: all but `keys` are repeats."""
    starts_at = rfc3339(now())
    path = webhook_path(STORM_KEY)
    distinct = [
        http_post(target.host, path, webhook_body([webhook_alert(storm_labels(k), starts_at)]))
        for k in range(keys)
    ]

    def step(connection: Connection, index: int, samples: Samples) -> None:
        timed(connection, distinct[index % keys], samples, "post")

    return Load(STORM, count, count, concurrency, step)


def new_incidents(target: Target, *, count: int, concurrency: int, token: str) -> Load:
    """Alerts that each open an incident, timed from the POST until the incident is listed.

    The listing asks for the newest incidents of their service; if the new one is not on that
    page (others were opened meanwhile), one longer page is asked for before calling it lost.
    """
    starts_at = rfc3339(now())
    run = f"{int(time.perf_counter() * 1000) % 1_000_000:06d}"
    path = webhook_path(ALERTMANAGER_KEY)
    posts = [
        http_post(
            target.host, path, webhook_body([webhook_alert(new_incident_labels(i, run), starts_at)])
        )
        for i in range(count)
    ]
    auth = {"Authorization": f"Bearer {token}"}
    pages = [
        http_get(target.host, f"/api/v1/incidents?service={NEW_SERVICE}&limit={limit}", auth)
        for limit in (max(10, 2 * concurrency), LIST_LIMIT)
    ]

    def step(connection: Connection, index: int, samples: Samples) -> None:
        started = time.perf_counter()
        answer = timed(connection, posts[index], samples, "post")
        opened = orjson.loads(answer).get("opened") if answer is not None else None
        if answer is not None and (not opened or len(opened) != 1):
            samples.fail("post opened no incident", answer.decode("utf-8", "replace"))
        if not opened:
            return
        for page in pages:
            listed = timed(connection, page, samples, "list")
            if listed is None:
                return
            if opened[0] in {item["ref"] for item in orjson.loads(listed)["items"]}:
                samples.add("visible", time.perf_counter() - started)
                return
        samples.fail("incident not listed after the POST's 200", opened[0])

    return Load(NEW_INCIDENT, count, count, concurrency, step, derived=("visible",))


def alertmanager_load(target: Target, *, count: int, concurrency: int, groups: int) -> Load:
    """The one-per-request load, as alerts posted to Alertmanager's `/api/v2/alerts`."""
    moment = now()
    requests = [
        http_post(
            target.host, "/api/v2/alerts", api_v2_body(distinct_labels("am", i, i % groups), moment)
        )
        for i in range(count)
    ]
    return Load(ALERTMANAGER, count, count, concurrency, send_each(requests, "post"))


def now() -> datetime:
    """Return the current instant (the alerts' `startsAt`)."""
    return datetime.now(UTC)
