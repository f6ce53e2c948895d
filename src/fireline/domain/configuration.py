"""The validated configuration: what `fireline.yaml` declares, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from fireline.domain.labels import Matcher
from fireline.domain.routing.rules import MaintenanceWindow, Routing
from fireline.domain.service import Service


class IntegrationKind(StrEnum):
    """The formats Fireline takes alerts in."""

    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    PAGERDUTY = "pagerduty"
    GENERIC = "generic"


@dataclass(frozen=True, slots=True)
class Integration:
    """A sender of alerts, authenticated by its key; `dedup_key` is an optional template."""

    name: str
    kind: IntegrationKind
    key: str
    dedup_key: str | None = None


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A signal that must arrive every `interval`, or an incident opens for `service`."""

    name: str
    interval: timedelta
    service: str
    matchers: tuple[Matcher, ...] = ()


@dataclass(frozen=True, slots=True)
class Configuration:
    """Everything a config file declares."""

    services: tuple[Service, ...]
    integrations: tuple[Integration, ...]
    routing: Routing
    maintenance: tuple[MaintenanceWindow, ...] = ()
    heartbeats: tuple[Heartbeat, ...] = ()
    revision: str = field(default="")

    def integration_by_key(self, key: str) -> Integration | None:
        """Return the integration whose key is `key`, if any."""
        return next((i for i in self.integrations if i.key == key), None)
