"""Reading what paging did: an incident's notifications and the outbox's state."""

from __future__ import annotations

from fireline.store.repos.notification import NotificationView
from fireline.store.uow import UnitOfWork


def incident_notifications(uow: UnitOfWork, *, incident_id: int) -> list[NotificationView]:
    """Every message about the incident, oldest first (NotFound if there is no incident)."""
    with uow.read() as tx:
        tx.incidents.get(incident_id)
        return tx.notifications.list_for_incident(incident_id)


def outbox_counts(uow: UnitOfWork) -> dict[str, int]:
    """How many messages stand in each outbox status."""
    with uow.read() as tx:
        return tx.notifications.count_by_status()
