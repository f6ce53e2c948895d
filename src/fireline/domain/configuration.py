"""The validated configuration: what `fireline.yaml` declares, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from fireline.domain.escalation.policy import Policy
from fireline.domain.labels import Matcher
from fireline.domain.notify.channel import Channel
from fireline.domain.notify.destination import ChannelKind
from fireline.domain.oncall.schedule import Schedule
from fireline.domain.routing.rules import MaintenanceWindow, Routing
from fireline.domain.service import Service
from fireline.domain.user import User


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
class Paging:
    """How pages reach people: the channel that delivers each kind of user contact method, the
    channel that gets what could not be delivered, and the link to an incident ({ref}, {id}).
    """

    providers: dict[ChannelKind, str] = field(default_factory=dict)
    fallback_channel: str | None = None
    incident_url: str | None = None


@dataclass(frozen=True, slots=True)
class OnCall:
    """Who can be paged and how: channels, users, schedules, policies, and each service's policy."""

    channels: tuple[Channel, ...] = ()
    users: tuple[User, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    policies: tuple[Policy, ...] = ()
    service_policies: dict[str, str] = field(default_factory=dict)
    paging: Paging = field(default_factory=Paging)

    def channel(self, name: str) -> Channel | None:
        """Return the channel named `name`, if any."""
        return next((c for c in self.channels if c.name == name), None)

    def user(self, name: str) -> User | None:
        """Return the user named `name`, if any."""
        return next((u for u in self.users if u.name == name), None)

    def schedule(self, name: str) -> Schedule | None:
        """Return the schedule named `name`, if any."""
        return next((s for s in self.schedules if s.name == name), None)

    def policy_for(self, service: str) -> Policy | None:
        """Return the escalation policy of `service`, if it has one."""
        name = self.service_policies.get(service)
        return next((p for p in self.policies if p.name == name), None)


@dataclass(frozen=True, slots=True)
class RunbookSettings:
    """Where runbooks live and what their automated steps may touch."""

    repository: str
    directory: str = ""  # the runbooks' folder inside the repository ("" for its top)
    platform: dict[str, str] = field(default_factory=dict)
    prometheus_url: str | None = None
    shell_allowlist: tuple[str, ...] = ()
    auto: bool = True


@dataclass(frozen=True, slots=True)
class Configuration:
    """Everything a config file declares."""

    services: tuple[Service, ...]
    integrations: tuple[Integration, ...]
    routing: Routing
    maintenance: tuple[MaintenanceWindow, ...] = ()
    heartbeats: tuple[Heartbeat, ...] = ()
    revision: str = field(default="")
    oncall: OnCall = field(default_factory=OnCall)
    runbooks: RunbookSettings | None = None

    def integration_by_key(self, key: str) -> Integration | None:
        """Return the integration whose key is `key`, if any."""
        return next((i for i in self.integrations if i.key == key), None)
