"""The unit of work: one transaction, with every repository bound to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from fireline.store.db import WORK_QUEUED, WRITE_OPTION, sqlite_file
from fireline.store.errors import translated
from fireline.store.repos.alert import AlertRepo
from fireline.store.repos.config_revision import ConfigRevisionRepo
from fireline.store.repos.escalation import EscalationRepo
from fireline.store.repos.feed_token import FeedTokenRepo
from fireline.store.repos.heartbeat import HeartbeatRepo
from fireline.store.repos.incident import IncidentRepo
from fireline.store.repos.job import JobRepo
from fireline.store.repos.notification import NotificationRepo
from fireline.store.repos.override import OverrideRepo
from fireline.store.repos.runbook_run import RunbookRunRepo
from fireline.store.repos.service import ServiceRepo
from fireline.store.repos.timeline import TimelineRepo
from fireline.store.repos.token import TokenRepo
from fireline.store.sqlite_turn import WriteTurn
from fireline.store.sqlite_wakeups import SqliteWakeups


class Tx:
    """The repositories of one open transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.incidents = IncidentRepo(session)
        self.timeline = TimelineRepo(session)
        self.jobs = JobRepo(session)
        self.services = ServiceRepo(session)
        self.tokens = TokenRepo(session)
        self.alerts = AlertRepo(session)
        self.config_revisions = ConfigRevisionRepo(session)
        self.heartbeats = HeartbeatRepo(session)
        self.notifications = NotificationRepo(session)
        self.escalations = EscalationRepo(session)
        self.overrides = OverrideRepo(session)
        self.feed_tokens = FeedTokenRepo(session)
        self.runbook_runs = RunbookRunRepo(session)


class UnitOfWork:
    """Opens transactions: `write()` commits on success, `read()` never writes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = sessionmaker(
            bind=engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self.work_ready = threading.Event()
        # SQLite has one writer at a time: writers take turns (see sqlite_turn), and engines
        # in other processes are woken by datagram. PostgreSQL needs neither.
        self._write_turn: AbstractContextManager[object] = nullcontext()
        self._wakeups: SqliteWakeups | None = None
        if engine.dialect.name == "sqlite":
            database = sqlite_file(engine)
            self._write_turn = WriteTurn(database)
            if database is not None:
                self._wakeups = SqliteWakeups(database)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """Open a write transaction; commit when the block ends without error.

        A transaction that queued background work (an outbox row, an escalation timer) sets
        `work_ready` once committed, so an engine in this process starts on it at once.
        """
        with self._write_turn, translated(), self._writer() as session:
            with session.begin():
                tx = Tx(session)
                yield tx
                tx.alerts.write_pending()
                tx.escalations.write_pending()
                tx.notifications.write_pending()
                tx.timeline.write_pending()
                tx.incidents.write_heads()
            if session.info.pop(WORK_QUEUED, False):
                self.work_ready.set()
                if self._wakeups is not None:
                    self._wakeups.notify()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """Open a read-only transaction; it is rolled back at the end."""
        with translated(), self._reader() as session:
            try:
                yield Tx(session)
            finally:
                session.rollback()

    @property
    def dialect(self) -> str:
        """Return the database dialect name ('sqlite' or 'postgresql')."""
        return self.engine.dialect.name
