"""Request and response bodies of the on-call API: schedules, shifts, overrides, users, feeds."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, Field

from fireline.domain.notify.destination import ChannelKind
from fireline.domain.oncall.restriction import Restriction
from fireline.domain.oncall.rotation import Layer
from fireline.domain.oncall.schedule import Schedule
from fireline.domain.oncall.shift import Shift
from fireline.domain.user import ContactMethod, User
from fireline.services.oncall import OnCallNow
from fireline.store.repos.override import OverrideView
from fireline.web.schemas import API, Body

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Contact methods whose address is a URL may carry a secret in it (a Slack or webhook URL).
_URL_KINDS = frozenset({ChannelKind.SLACK, ChannelKind.WEBHOOK})


def _wall(value: object) -> str:
    return f"{value:%H:%M}"


class OnCallRead(BaseModel):
    """Who is on call for a schedule at an instant, and the shift they are in."""

    schedule: str
    user: str | None = Field(description="None when nobody is on call")
    at: datetime
    start_at: datetime | None = Field(description="Start of the shift; None if over 31 days ago")
    end_at: datetime | None = Field(description="End of the shift; None if over 31 days ahead")
    layer: str | None = Field(description="The layer of the shift, or `override`")

    @classmethod
    def of(cls, now: OnCallNow) -> OnCallRead:
        """Render an answer of `who_is_on_call` (its fields are this model's)."""
        return cls.model_validate(now, from_attributes=True)


class RestrictionRead(BaseModel):
    """A weekly window (local times of the layer's zone) in which a layer is on call."""

    days: list[str]
    start: str = Field(serialization_alias="from", examples=["07:00"])
    end: str = Field(serialization_alias="to", examples=["19:00"])

    @classmethod
    def of(cls, restriction: Restriction) -> RestrictionRead:
        """Render a domain restriction."""
        return cls(
            days=[DAYS[d] for d in sorted(restriction.days)],
            start=_wall(restriction.start),
            end=_wall(restriction.end),
        )


class LayerRead(BaseModel):
    """A rotation layer of a schedule."""

    name: str
    users: list[str]
    rotation: str = Field(examples=["1w"], description="Turn length: hours (h), days (d), weeks")
    handoff: str = Field(examples=["09:00"])
    time_zone: str
    start_at: datetime
    restrictions: list[RestrictionRead]

    @classmethod
    def of(cls, layer: Layer) -> LayerRead:
        """Render a domain layer."""
        return cls(
            name=layer.name,
            users=list(layer.users),
            rotation=f"{layer.rotation_length}{layer.rotation_unit.value[0]}",
            handoff=_wall(layer.handoff),
            time_zone=layer.time_zone,
            start_at=layer.start_at,
            restrictions=[RestrictionRead.of(r) for r in layer.restrictions],
        )


class ScheduleRead(BaseModel):
    """A schedule: layers lowest first (a higher layer with someone on call wins)."""

    name: str
    time_zone: str
    layers: list[LayerRead]
    links: dict[str, str]

    @classmethod
    def of(cls, schedule: Schedule) -> ScheduleRead:
        """Render a domain schedule."""
        base = f"{API}/schedules/{schedule.name}"
        return cls(
            name=schedule.name,
            time_zone=schedule.time_zone,
            layers=[LayerRead.of(layer) for layer in schedule.layers],
            links={"shifts": f"{base}/shifts", "overrides": f"{base}/overrides"},
        )


class ShiftRead(BaseModel):
    """One user on call over [start_at, end_at)."""

    user: str
    start_at: datetime
    end_at: datetime
    layer: str = Field(description="The layer it comes from, or `override`")

    @classmethod
    def of(cls, shift: Shift) -> ShiftRead:
        """Render a domain shift (its fields are this model's)."""
        return cls.model_validate(shift, from_attributes=True)


class ShiftsRead(BaseModel):
    """The final shifts of a schedule over a window; gaps are times nobody is on call."""

    schedule: str
    start_at: datetime
    end_at: datetime
    shifts: list[ShiftRead]


class OverrideCreate(Body):
    """Put a user on call for a schedule over [start_at, end_at), above every layer."""

    user: str = Field(max_length=100, examples=["bob"])
    start_at: AwareDatetime = Field(examples=["2026-01-06T18:00:00+01:00"])
    end_at: AwareDatetime = Field(examples=["2026-01-07T09:00:00+01:00"])
    reason: str = Field(default="", max_length=500, examples=["swap: alice at a wedding"])


class OverrideRead(BaseModel):
    """A stored override; a removed one says who removed it and when."""

    id: int
    schedule: str
    user: str
    start_at: datetime
    end_at: datetime
    reason: str
    created_by: str
    created_at: datetime
    removed_by: str | None
    removed_at: datetime | None

    @classmethod
    def of(cls, view: OverrideView) -> OverrideRead:
        """Render a stored override (its fields are this model's)."""
        return cls.model_validate(view, from_attributes=True)


class ContactMethodRead(BaseModel):
    """A way to reach a user; URL addresses show only their scheme and host."""

    name: str
    kind: str
    address: str
    address_redacted: bool = Field(description="True when the address was cut to its host")

    @classmethod
    def of(cls, method: ContactMethod) -> ContactMethodRead:
        """Render a contact method, hiding the path and query of URL addresses."""
        redacted = method.kind in _URL_KINDS
        address = method.address
        if redacted:
            parts = urlsplit(address)
            address = f"{parts.scheme}://{parts.hostname or ''}/…"
        return cls(
            name=method.name, kind=method.kind.value, address=address, address_redacted=redacted
        )


class NotificationRuleRead(BaseModel):
    """Try a contact method this many minutes after the user is paged."""

    contact_method: str
    delay_minutes: int


class UserRead(BaseModel):
    """A person who can be paged."""

    name: str
    full_name: str
    email: str
    time_zone: str
    contact_methods: list[ContactMethodRead]
    notification_rules: list[NotificationRuleRead] = Field(
        description="The rules in force (every contact method at once when none are declared)"
    )

    @classmethod
    def of(cls, user: User) -> UserRead:
        """Render a declared user."""
        return cls(
            name=user.name,
            full_name=user.full_name,
            email=user.email,
            time_zone=user.time_zone,
            contact_methods=[ContactMethodRead.of(m) for m in user.contact_methods],
            notification_rules=[
                NotificationRuleRead(
                    contact_method=r.contact_method,
                    delay_minutes=int(r.delay.total_seconds() // 60),
                )
                for r in user.effective_rules()
            ],
        )


class FeedTokenIssued(BaseModel):
    """A new calendar feed token (the old ones no longer work); shown only this once."""

    user: str
    token: str = Field(description="The secret in the URLs; not shown again")
    url: str = Field(description="The user's own shifts on every schedule (.ics)")
    webcal_url: str = Field(description="The same, for calendar apps that open webcal:// links")
    schedule_urls: dict[str, str] = Field(description="Each whole schedule's feed, by schedule")
