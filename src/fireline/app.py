"""The composition root: `build(settings, clock)` wires storage, use cases and the web app."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from fireline.clock import Clock, SystemClock
from fireline.config import Settings
from fireline.engine.loop import Engine, default_modules
from fireline.services.configfile.loader import parse_applied
from fireline.services.container import Container
from fireline.services.live_config import LiveConfig
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


def build_engine(container: Container) -> Engine:
    """Build the background engine with every module."""
    return Engine(container, default_modules())


def build_web(settings: Settings, clock: Clock | None = None) -> FastAPI:
    """Build the container and the HTTP app around it, migrating first if configured."""
    container = build(settings, clock)
    if settings.auto_migrate:
        migrate.upgrade(container.uow.engine)
        log.info("database at revision %s", migrate.current_revision(container.uow.engine))
    return create_app(container)
