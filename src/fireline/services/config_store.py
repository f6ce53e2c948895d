"""Recording an applied configuration: its revision and text, and the services it declares."""

from __future__ import annotations

from datetime import datetime

from fireline.domain.configuration import Configuration
from fireline.store.uow import UnitOfWork


def record_revision(
    uow: UnitOfWork,
    *,
    configuration: Configuration,
    content: str,
    source: str,
    applied_by: str,
    now: datetime,
) -> tuple[int, bool]:
    """Store the services and the revision; return (revision id, whether it was new).

    Applying the same content again records nothing new, so restarts do not pile up rows.
    """
    with uow.write() as tx:
        for service in configuration.services:
            tx.services.put(service, now=now)
        latest = tx.config_revisions.latest_id()
        if latest is not None:
            current = tx.config_revisions.get(latest)
            if current.content == content and current.revision == configuration.revision:
                return latest, False
        revision_id = tx.config_revisions.add(
            revision=configuration.revision,
            source=source,
            content=content,
            applied_by=applied_by,
            now=now,
        )
        return revision_id, True
