"""SQLAlchemy tables, one module per aggregate; importing this package registers them all."""

from fireline.store.tables.alert import AlertRow
from fireline.store.tables.base import Base
from fireline.store.tables.config_revision import ConfigRevisionRow
from fireline.store.tables.escalation import EscalationRow
from fireline.store.tables.feed_token import CalendarFeedTokenRow
from fireline.store.tables.heartbeat import HeartbeatRow
from fireline.store.tables.incident import IncidentRegionRow, IncidentRow
from fireline.store.tables.job import IncidentJobRow
from fireline.store.tables.notification import NotificationRow
from fireline.store.tables.override import OverrideRow
from fireline.store.tables.runbook_run import RunbookRunRow, RunbookStepRunRow
from fireline.store.tables.service import ServiceRow
from fireline.store.tables.timeline import TimelineEventRow
from fireline.store.tables.token import ApiTokenRow

__all__ = [
    "AlertRow",
    "CalendarFeedTokenRow",
    "ConfigRevisionRow",
    "EscalationRow",
    "HeartbeatRow",
    "ApiTokenRow",
    "Base",
    "IncidentJobRow",
    "IncidentRegionRow",
    "IncidentRow",
    "NotificationRow",
    "OverrideRow",
    "RunbookRunRow",
    "RunbookStepRunRow",
    "ServiceRow",
    "TimelineEventRow",
]
