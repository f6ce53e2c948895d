"""The on-call and paging sections of `fireline.yaml`: channels, users, schedules, policies.

Shapes and single-field checks live here; references between sections (a policy naming a
schedule, a schedule naming users) are checked when the file is converted, where every item is
known, and reported at the field that names the missing thing.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, PlainValidator, WithJsonSchema

from fireline.services.configfile.sections import DURATION, Interval, Section, Slug, problem

TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
ROTATION = re.compile(r"^(\d{1,4})(h|d|w)$")
TARGET = re.compile(r"^(schedule|user|channel):([a-z0-9][a-z0-9-]*)$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def _time_of_day(value: str) -> str:
    if not TIME_OF_DAY.match(value):
        raise problem("time", "must be a time of day as HH:MM, 00:00 to 23:59")
    return value


def _rotation(value: str) -> str:
    found = ROTATION.match(value)
    if found is None or int(found.group(1)) < 1:
        raise problem("rotation", "must be a count and a unit: 12h, 1d, 1w, 2w")
    return value


def _target(value: str) -> str:
    if not TARGET.match(value):
        raise problem("target", "must be schedule:<name>, user:<name> or channel:<name>")
    return value


def _delay(value: object) -> timedelta:
    found = DURATION.match(value) if isinstance(value, str) and value else None
    if found is None:
        raise problem("duration", "must be a duration like 0s, 90s, 5m or 1h")
    days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _day(value: str) -> str:
    if value.lower() not in DAYS:
        raise problem("day", f"must be one of {', '.join(DAYS)}")
    return value.lower()


TimeOfDay = Annotated[str, AfterValidator(_time_of_day)]
RotationText = Annotated[str, AfterValidator(_rotation)]
TargetText = Annotated[str, AfterValidator(_target)]
Day = Annotated[str, AfterValidator(_day)]
Delay = Annotated[
    timedelta,
    PlainValidator(_delay),
    WithJsonSchema({"type": "string", "pattern": DURATION.pattern}),
]
# A secret may be written as ${ENV_VAR}: the server reads it from its environment, so the
# file (and the revision recorded in the database) never holds it.
Secret = Annotated[str, Field(min_length=1, max_length=2048)]


def parse_time(value: str) -> time:
    """Turn a checked HH:MM into a time."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class PagerDutyChannelSpec(Section):
    """A PagerDuty service, reached through its Events API v2 integration key."""

    name: Slug
    kind: Literal["pagerduty"]
    routing_key: Secret = Field(description="The 32-character integration key (a secret)")
    url: str = Field(default="https://events.pagerduty.com/v2/enqueue", description="Events API")
    webhook_secrets: list[Secret] = Field(
        default=[],
        description="Signing secrets of the PagerDuty webhook subscription (v3) that sends "
        "acknowledgements and resolutions back to /integrations/pagerduty/webhook",
    )


class OpsgenieChannelSpec(Section):
    """An Opsgenie team, reached through the Alert API."""

    name: Slug
    kind: Literal["opsgenie"]
    api_key: Secret = Field(description="API key of an API integration (a secret)")
    url: str = Field(default="https://api.opsgenie.com", description="api.eu.opsgenie.com in EU")
    responders: list[str] = Field(default=[], description="Opsgenie team names to notify")


class SlackChannelSpec(Section):
    """A Slack channel, reached through an incoming webhook."""

    name: Slug
    kind: Literal["slack"]
    webhook_url: Secret = Field(description="The incoming-webhook URL (a secret)")


class EmailChannelSpec(Section):
    """An SMTP server that sends e-mail pages (to `to`, or to users' e-mail contact methods)."""

    name: Slug
    kind: Literal["email"]
    host: str = Field(min_length=1, description="SMTP host")
    port: int = Field(default=587, ge=1, le=65535)
    sender: str = Field(alias="from", min_length=3, description="From address")
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    to: str | None = Field(default=None, description="Recipient when used as a channel target")


class WebhookChannelSpec(Section):
    """Any HTTP endpoint, sent a JSON body signed with HMAC-SHA256 (X-Fireline-Signature)."""

    name: Slug
    kind: Literal["webhook"]
    url: str = Field(min_length=8)
    secret: Secret = Field(description="Signing secret shared with the receiver")


class PhoneChannelSpec(Section):
    """An SMS or voice provider (Twilio-compatible API) for users' phone contact methods."""

    name: Slug
    kind: Literal["sms", "voice"]
    provider: Literal["twilio"] = "twilio"
    account_sid: str = Field(min_length=1)
    auth_token: Secret
    sender: str = Field(alias="from", description="The number pages come from, in E.164")
    url: str = Field(default="https://api.twilio.com")


ChannelSpec = Annotated[
    PagerDutyChannelSpec
    | OpsgenieChannelSpec
    | SlackChannelSpec
    | EmailChannelSpec
    | WebhookChannelSpec
    | PhoneChannelSpec,
    Field(discriminator="kind"),
]


class ContactMethodSpec(Section):
    """One way to reach a user."""

    name: Slug
    kind: Literal["email", "sms", "voice", "slack", "webhook"]
    address: str = Field(min_length=1, max_length=2048, description="e-mail, +E.164, or URL")


class NotificationRuleSpec(Section):
    """Notify `contact_method` this long after the user is paged (0s: immediately)."""

    contact_method: Slug
    after: Delay = Field(default=timedelta(0), description="0s (immediately), 5m, 1h")


class UserSpec(Section):
    """A responder."""

    name: Slug
    full_name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320)
    time_zone: str = "UTC"
    contact_methods: list[ContactMethodSpec] = []
    notification_rules: list[NotificationRuleSpec] = Field(
        default=[], description="Default: every contact method, immediately"
    )


class RestrictionSpec(Section):
    """A weekly window in which a layer is on call (times in the layer's zone)."""

    days: list[Day] = Field(default=list(DAYS), min_length=1)
    start: TimeOfDay = Field(alias="from")
    end: TimeOfDay = Field(alias="to", description="Before `from`: runs past midnight")


class LayerSpec(Section):
    """Users taking turns; later layers win over earlier ones where they have someone."""

    name: Slug
    users: list[Slug] = Field(min_length=1)
    rotation: RotationText = Field(description="Shift length: 12h, 1d, 1w, 2w")
    handoff: TimeOfDay = Field(default="09:00", description="Local time shifts change")
    time_zone: str | None = Field(default=None, description="Default: the schedule's zone")
    start: AwareDatetime = Field(description="When the first shift (users[0]) begins")
    restrictions: list[RestrictionSpec] = []


class ScheduleSpec(Section):
    """Who is on call, built from layers (lowest first)."""

    name: Slug
    time_zone: str = "UTC"
    layers: list[LayerSpec] = Field(min_length=1)


class StepSpec(Section):
    """Page every target, then wait `delay` before the next step."""

    targets: list[TargetText] = Field(min_length=1)
    delay: Interval = Field(description="Wait before the next step: 5m, 15m, 1h")


class PolicySpec(Section):
    """An escalation policy: ordered steps, the whole repeated `repeat` more times."""

    name: Slug
    repeat: int = Field(default=0, ge=0, le=9)
    steps: list[StepSpec] = Field(min_length=1)


class PagingSpec(Section):
    """How pages reach people: providers for contact methods, a fallback, links back."""

    providers: dict[Literal["email", "sms", "voice", "webhook"], Slug] = Field(
        default={}, description="The channel that delivers each kind of user contact method"
    )
    fallback_channel: Slug | None = Field(
        default=None, description="Gets a copy of any page that could not be delivered"
    )
    incident_url: str | None = Field(
        default=None, description="Link to an incident: a template with {ref} and {id}"
    )
