"""Delivers the evaluator's alerts to Fireline, as Alertmanager's webhook (version "4") would.

Each alert goes in a group of its own (Alertmanager's `group_by: ['...']`), POSTed to
`{fireline}/integrations/alertmanager/{key}`: once when it fires and once when it resolves.
Its `fingerprint` is stable (sha256 of its sorted labels, 16 hex digits), `startsAt` is when it
fired, `endsAt` Go's zero time while firing and the resolution instant once resolved, and
`generatorURL` the sandbox's own query API for its expression.

A 2xx answer delivers; a 5xx, a 429 or a connection error leaves the alert undelivered, so
the next `send()` (the next evaluation) tries again; any other 4xx is a refusal that retrying
will not fix, so the alert is given up on and the reason kept in `last_error`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from fireline.sandbox.rules import AlertState, Status

log = logging.getLogger(__name__)

RECEIVER = "fireline"
ZERO_TIME = "0001-01-01T00:00:00Z"
TIMEOUT_S = 5.0
USER_AGENT = "fireline-sandbox"


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable 16-hex-digit fingerprint of a label set (order does not matter)."""
    canonical = json.dumps(dict(sorted(labels.items())), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def rfc3339(instant: datetime) -> str:
    """Write an instant as Alertmanager does: UTC, milliseconds, `Z`."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def group_key(labels: Mapping[str, str]) -> str:
    """Alertmanager's group key of a route at the root grouping by every label."""
    inner = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(labels.items()))
    return "{}:{" + inner + "}"


def webhook_body(alert: AlertState, *, external_url: str) -> dict[str, Any]:
    """Return the webhook body for `alert` (firing or resolved), alone in its group."""
    base = external_url.rstrip("/")
    starts_at = alert.fired_at or alert.active_at
    ends_at = rfc3339(alert.resolved_at) if alert.resolved_at else ZERO_TIME
    item = {
        "status": alert.status.value,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "startsAt": rfc3339(starts_at),
        "endsAt": ends_at,
        "generatorURL": f"{base}/api/v1/query?query={quote(alert.expr, safe='')}",
        "fingerprint": fingerprint(alert.labels),
    }
    return {
        "receiver": RECEIVER,
        "status": alert.status.value,
        "alerts": [item],
        "groupLabels": alert.labels,
        "commonLabels": alert.labels,
        "commonAnnotations": alert.annotations,
        "externalURL": base,
        "version": "4",
        "groupKey": group_key(alert.labels),
        "truncatedAlerts": 0,
    }


@dataclass(frozen=True, slots=True)
class Report:
    """What one `send()` did, by fingerprint."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


class Sender:
    """Sends firing and resolved alerts to one Fireline integration; retries what failed."""

    def __init__(
        self,
        fireline_url: str,
        *,
        key: str,
        external_url: str,
        client: httpx.Client | None = None,
    ) -> None:
        self.target = f"{fireline_url.rstrip('/')}/integrations/alertmanager/{key}"
        self.external_url = external_url
        self.last_error: str | None = None
        self.deliveries = 0
        self._http = client or httpx.Client(timeout=TIMEOUT_S)
        self._delivered: dict[str, tuple[Status, datetime | None]] = {}

    def send(self, alerts: Sequence[AlertState]) -> Report:
        """Deliver every alert whose firing or resolution Fireline has not had yet."""
        report = Report()
        current = {fingerprint(a.labels) for a in alerts}
        for stale in set(self._delivered) - current:
            del self._delivered[stale]
        for alert in alerts:
            fp = fingerprint(alert.labels)
            if self._due(alert, fp):
                self._deliver(alert, fp, report)
        return report

    def _due(self, alert: AlertState, fp: str) -> bool:
        episode = (alert.status, alert.fired_at)
        delivered = self._delivered.get(fp)
        if alert.status is Status.FIRING:
            return delivered != episode
        # A resolution is news only to a Fireline that heard this episode fire.
        return alert.status is Status.RESOLVED and delivered == (Status.FIRING, alert.fired_at)

    def _deliver(self, alert: AlertState, fp: str, report: Report) -> None:
        body = webhook_body(alert, external_url=self.external_url)
        try:
            response = self._http.post(self.target, json=body, headers={"User-Agent": USER_AGENT})
        except httpx.HTTPError as error:
            self._failed(f"{alert.name}: cannot reach Fireline: {error}")
            report.retrying.append(fp)
            return
        if response.is_success:
            self._delivered[fp] = (alert.status, alert.fired_at)
            self.deliveries += 1
            report.delivered.append(fp)
            return
        reason = f"{alert.name}: Fireline answered {response.status_code}: {response.text[:300]}"
        self._failed(reason)
        if response.status_code >= 500 or response.status_code == 429:
            report.retrying.append(fp)
        else:
            self._delivered[fp] = (alert.status, alert.fired_at)
            report.refused.append(fp)

    def _failed(self, reason: str) -> None:
        self.last_error = reason
        log.warning("alert not delivered: %s", reason)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()
