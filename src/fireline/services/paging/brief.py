"""What a page says about an incident, taken when the page is queued."""

from __future__ import annotations

from fireline.domain.configuration import OnCall
from fireline.domain.incidents.incident import Incident
from fireline.domain.incidents.ref import format_ref
from fireline.domain.notify.message import IncidentBrief


def brief_of(incident: Incident, *, oncall: OnCall | None, summary: str = "") -> IncidentBrief:
    """Return the brief of `incident`, with its link when the config says how to make one."""
    ref = format_ref(incident.id)
    template = oncall.paging.incident_url if oncall is not None else None
    url = template.replace("{ref}", ref).replace("{id}", str(incident.id)) if template else None
    return IncidentBrief(
        ref=ref,
        title=incident.title,
        severity=incident.severity,
        status=incident.status.value,
        service=incident.service,
        summary=summary or incident.title,
        runbook_url=incident.runbook_url,
        incident_url=url,
        regions=incident.regions,
        opened_at=incident.created_at,
    )
