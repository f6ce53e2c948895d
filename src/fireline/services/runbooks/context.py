"""What a runbook step's templates see: the incident, its alert's labels, the platform."""

from __future__ import annotations

from fireline.domain.configuration import RunbookSettings
from fireline.domain.incidents.incident import Incident
from fireline.domain.incidents.ref import format_ref
from fireline.runbooks.guards import RenderContext
from fireline.store.uow import Tx


def context_for(tx: Tx, incident: Incident, *, settings: RunbookSettings) -> RenderContext:
    """Build the render context from the incident and its first (firing first) alert."""
    alerts = tx.alerts.list_for_incident(incident.id, limit=1)
    labels = dict(alerts[0].labels) if alerts else {}
    annotations = dict(alerts[0].annotations) if alerts else {}
    return RenderContext(
        incident={
            "id": incident.id,
            "ref": format_ref(incident.id),
            "title": incident.title,
            "severity": incident.severity.value,
            "status": incident.status.value,
            "service": incident.service,
            "regions": list(incident.regions),
        },
        labels={k: str(v) for k, v in labels.items()},
        annotations={k: str(v) for k, v in annotations.items()},
        platform=dict(settings.platform),
    )
