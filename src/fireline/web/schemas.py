"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fireline.domain.access.token import ApiToken
from fireline.domain.incidents.incident import Incident
from fireline.domain.incidents.roles import Role
from fireline.domain.incidents.severity import Severity
from fireline.domain.incidents.status import Status
from fireline.domain.incidents.timeline import TimelineEvent
from fireline.domain.jobs import JobLink
from fireline.domain.service import Service

API = "/api/v1"


class Body(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class IncidentCreate(Body):
    """Open an incident."""

    title: str = Field(max_length=1000, examples=["Extraction queue saturated in eu-west-1"])
    severity: str = Field(examples=["SEV2"], description="SEV1 (worst) to SEV5")
    service: str = Field(examples=["extraction"], description="Name of a known service")
    regions: list[str] = Field(default_factory=list, max_length=50, examples=[["eu-west-1"]])


class IncidentQuery(Body):
    """Filters and paging of the incident list; repeat `status` or `severity` for several."""

    status: list[Status] = Field(default_factory=list)
    severity: list[Severity] = Field(default_factory=list)
    service: str | None = None
    region: str | None = None
    job_id: str | None = None
    created_since: AwareDatetime | None = Field(default=None, description="Inclusive")
    created_until: AwareDatetime | None = Field(default=None, description="Exclusive")
    limit: int = Field(default=50, ge=1, le=500)
    cursor: str | None = Field(default=None, description="`next_cursor` of the previous page")


class IncidentPatch(Body):
    """Change an incident's title, severity or regions, as of the version the caller saw."""

    expected_version: int = Field(ge=1, description="The version the change was based on")
    title: str | None = Field(default=None, max_length=1000)
    severity: str | None = None
    regions: list[str] | None = Field(default=None, max_length=50)


class TransitionIn(Body):
    """Optional details of a lifecycle action."""

    expected_version: int | None = Field(default=None, ge=1)
    reason: str | None = Field(default=None, max_length=2000)


class NoteIn(Body):
    """A note for the timeline."""

    text: str = Field(max_length=20_000)


class RoleIn(Body):
    """Assign a role to a person, or take it away with `remove`."""

    role: Role
    person: str = Field(max_length=100)
    remove: bool = False
    expected_version: int | None = Field(default=None, ge=1)


class JobsIn(Body):
    """Job IDs to link (or, at `…/jobs/unlink`, to unlink)."""

    job_ids: list[str] = Field(description="Up to 200,000 job IDs; repeats are ignored")


class RolesRead(BaseModel):
    """Who holds which role."""

    commander: str | None
    communications_lead: str | None
    scribe: str | None
    responders: list[str]


class IncidentRead(BaseModel):
    """An incident."""

    ref: str
    id: int
    title: str
    severity: str
    status: str
    service: str
    regions: list[str]
    roles: RolesRead
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    reopened_at: datetime | None
    runbook_url: str | None = Field(description="The runbook routing linked, if any")
    group_key: str | None = Field(description="Alerts with this group key attach here")
    links: dict[str, str]

    @classmethod
    def of(cls, incident: Incident) -> IncidentRead:
        """Render a domain incident."""
        base = f"{API}/incidents/{incident.ref}"
        return cls(
            ref=incident.ref,
            id=incident.id,
            title=incident.title,
            severity=incident.severity.value,
            status=incident.status.value,
            service=incident.service,
            regions=list(incident.regions),
            roles=RolesRead(**incident.roles.to_dict()),
            version=incident.version,
            created_by=incident.created_by,
            created_at=incident.created_at,
            updated_at=incident.updated_at,
            acknowledged_at=incident.acknowledged_at,
            mitigated_at=incident.mitigated_at,
            resolved_at=incident.resolved_at,
            reopened_at=incident.reopened_at,
            runbook_url=incident.runbook_url,
            group_key=incident.group_key,
            links={"self": base, "timeline": f"{base}/timeline", "jobs": f"{base}/jobs"},
        )


class IncidentPage(BaseModel):
    """A page of incidents, newest first; pass `next_cursor` as `cursor` for the next."""

    items: list[IncidentRead]
    next_cursor: str | None


class EventRead(BaseModel):
    """One timeline event, with the hashes that chain it."""

    seq: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, event: TimelineEvent) -> EventRead:
        """Render a domain event."""
        return cls(
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            kind=event.kind,
            data=event.data,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )


class TimelinePage(BaseModel):
    """A page of a timeline, oldest first; pass `next_after_seq` as `after_seq` for the next."""

    incident: str
    items: list[EventRead]
    next_after_seq: int | None


class LinkResultRead(BaseModel):
    """The outcome of a bulk link or unlink."""

    incident: str
    requested: int
    changed: int
    total: int


class JobRead(BaseModel):
    """One linked job."""

    job_id: str
    linked_at: datetime
    linked_by: str

    @classmethod
    def of(cls, link: JobLink) -> JobRead:
        """Render a link."""
        return cls(job_id=link.job_id, linked_at=link.linked_at, linked_by=link.linked_by)


class JobPage(BaseModel):
    """A page of job IDs in order; pass `next_after` as `after` for the next."""

    incident: str
    items: list[JobRead]
    next_after: str | None


class JobIncidents(BaseModel):
    """The incidents that touched one job."""

    job_id: str
    incidents: list[IncidentRead]


class ServiceBody(Body):
    """A service of the platform."""

    name: str = Field(examples=["extraction"])
    team: str = Field(examples=["documents"])
    tier: int = Field(examples=[1], description="1 (most critical) to 4")
    regions: list[str] = Field(default_factory=list, examples=[["eu-west-1", "us-east-1"]])
    description: str = ""


class ServiceRead(BaseModel):
    """A service."""

    name: str
    team: str
    tier: int
    regions: list[str]
    description: str

    @classmethod
    def of(cls, service: Service) -> ServiceRead:
        """Render a domain service."""
        return cls(
            name=service.name,
            team=service.team,
            tier=service.tier,
            regions=list(service.regions),
            description=service.description,
        )


class TokenCreate(Body):
    """A token to create."""

    name: str
    role: str = Field(description="viewer, responder, commander or admin")


class TokenRead(BaseModel):
    """A token, without its secret."""

    name: str
    role: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenRead:
        """Render a token."""
        return cls(
            name=token.name,
            role=token.role.value,
            created_at=token.created_at,
            created_by=token.created_by,
            revoked_at=token.revoked_at,
        )


class TokenIssued(TokenRead):
    """A new token with its secret: shown this once, never again."""

    secret: str


class AlertRead(BaseModel):
    """An alert attached to an incident."""

    id: int
    integration: str
    dedup_key: str
    status: str
    source: str
    summary: str
    severity: str | None
    labels: dict[str, Any]
    annotations: dict[str, Any]
    generator_url: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    occurrences: int


class IncidentAlerts(BaseModel):
    """The alerts of one incident, firing first."""

    incident: str
    items: list[AlertRead]
