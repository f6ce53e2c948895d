"""The composition root: `build(settings, clock)` wires storage, use cases and the web app."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

import httpx
from fastapi import FastAPI

from fireline.clock import Clock, SystemClock
from fireline.config import Settings
from fireline.domain.notify.destination import ChannelKind
from fireline.domain.notify.ports import Notifier
from fireline.engine.loop import Engine, default_modules
from fireline.engine.modules.outbox import LEASE
from fireline.engine.modules.runbook_steps import GRACE
from fireline.integrations.delivery import make_client
from fireline.integrations.email.notify import EmailNotifier
from fireline.integrations.opsgenie.notify import OpsgenieNotifier
from fireline.integrations.pagerduty.notify import PagerDutyNotifier
from fireline.integrations.slack.notify import SlackNotifier
from fireline.integrations.sms.twilio import TwilioSmsNotifier, TwilioVoiceNotifier
from fireline.integrations.webhook.notify import WebhookNotifier
from fireline.services.configfile.loader import parse_applied
from fireline.services.container import Container
from fireline.services.live_config import LiveConfig
from fireline.services.runbooks.runner import ActionRunner
from fireline.store import migrate
from fireline.store.db import make_engine
from fireline.store.uow import UnitOfWork
from fireline.web.app import create_app

log = logging.getLogger("fireline")


def build(settings: Settings, clock: Clock | None = None) -> Container:
    """Create the database engine and the use-case container."""
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    uow = UnitOfWork(engine)
    clock = clock or SystemClock()
    live = LiveConfig(
        uow,
        parse=parse_applied,
        clock=clock,
        reload_interval_s=settings.config_reload_interval_s,
    )
    return Container(uow=uow, clock=clock, live_config=live)


def build_notifiers(clock: Clock, client: httpx.Client) -> dict[ChannelKind, Notifier]:
    """Build one notifier per channel kind, sharing one HTTP client (bounded timeouts)."""
    return {
        ChannelKind.PAGERDUTY: PagerDutyNotifier(client),
        ChannelKind.OPSGENIE: OpsgenieNotifier(client),
        ChannelKind.SLACK: SlackNotifier(client),
        ChannelKind.EMAIL: EmailNotifier(),
        ChannelKind.WEBHOOK: WebhookNotifier(client, clock),
        ChannelKind.SMS: TwilioSmsNotifier(client),
        ChannelKind.VOICE: TwilioVoiceNotifier(client),
    }


def build_engine(
    container: Container,
    notifiers: Mapping[ChannelKind, Notifier] | None = None,
    *,
    outbox_lease: timedelta = LEASE,
    step_grace: timedelta = GRACE,
) -> Engine:
    """Build the background engine with every module; `close()` it when done."""
    client = make_client()
    chosen = build_notifiers(container.clock, client) if notifiers is None else notifiers
    modules = default_modules(
        chosen, runner=ActionRunner(client), lease=outbox_lease, step_grace=step_grace
    )
    return Engine(container, modules, closers=[client.close])


def build_web(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Build the container and the HTTP app around it, migrating first if configured."""
    container = build(settings, clock)
    if settings.auto_migrate:
        migrate.upgrade(container.uow.engine)
        log.info("database at revision %s", migrate.current_revision(container.uow.engine))
    return create_app(container)
