"""The service catalog: which services incidents can be about."""

from __future__ import annotations

from datetime import datetime

from fireline.domain.service import Service
from fireline.store.uow import UnitOfWork


def put_service(uow: UnitOfWork, *, service: Service, now: datetime) -> bool:
    """Create or replace a service; return True when it was new."""
    with uow.write() as tx:
        return tx.services.put(service, now=now)


def put_services(uow: UnitOfWork, *, services: list[Service], now: datetime) -> int:
    """Create or replace several services in one transaction; return how many were new."""
    with uow.write() as tx:
        return sum(tx.services.put(s, now=now) for s in services)


def get_service(uow: UnitOfWork, *, name: str) -> Service:
    """Return one service or raise NotFound."""
    with uow.read() as tx:
        return tx.services.get(name)


def list_services(uow: UnitOfWork) -> list[Service]:
    """Return every service, by name."""
    with uow.read() as tx:
        return tx.services.list_()
