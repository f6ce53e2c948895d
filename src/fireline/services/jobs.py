"""Linking the platform's job IDs to incidents, and finding the incidents a job touched."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fireline.domain.incidents.incident import Entry, Incident
from fireline.domain.jobs import JobLink, clean_job_ids
from fireline.domain.page import Page, check_limit
from fireline.services.timeline import append
from fireline.store.uow import Tx, UnitOfWork

MAX_JOB_PAGE = 10_000
# How many of the linked IDs a timeline event quotes; the rest are counted, not listed.
SAMPLE = 10


@dataclass(frozen=True, slots=True)
class LinkResult:
    """How a bulk link or unlink went: the count asked for, changed, and now linked in all."""

    requested: int
    changed: int
    total: int


def link_jobs(
    uow: UnitOfWork, *, incident_id: int, job_ids: list[str], actor: str, now: datetime
) -> LinkResult:
    """Link job IDs to the incident; repeats are skipped, one timeline event counts the rest."""

    def link(tx: Tx, distinct: list[str]) -> int:
        return tx.jobs.link(incident_id, distinct, actor=actor, now=now)

    return _change_links(
        uow,
        incident_id=incident_id,
        job_ids=job_ids,
        actor=actor,
        now=now,
        change=link,
        kind="jobs.linked",
        counted_as="added",
    )


def unlink_jobs(
    uow: UnitOfWork, *, incident_id: int, job_ids: list[str], actor: str, now: datetime
) -> LinkResult:
    """Remove job IDs from the incident; one timeline event counts the removals."""

    def unlink(tx: Tx, distinct: list[str]) -> int:
        return tx.jobs.unlink(incident_id, distinct)

    return _change_links(
        uow,
        incident_id=incident_id,
        job_ids=job_ids,
        actor=actor,
        now=now,
        change=unlink,
        kind="jobs.unlinked",
        counted_as="removed",
    )


def _change_links(
    uow: UnitOfWork,
    *,
    incident_id: int,
    job_ids: list[str],
    actor: str,
    now: datetime,
    change: Callable[[Tx, list[str]], int],
    kind: str,
    counted_as: str,
) -> LinkResult:
    distinct = clean_job_ids(job_ids)
    with uow.write() as tx:
        tx.incidents.get_for_update(incident_id)
        changed = change(tx, distinct)
        total = tx.jobs.count(incident_id)
        if changed:
            data = {
                counted_as: changed,
                "requested": len(distinct),
                "total": total,
                "sample": distinct[:SAMPLE],
            }
            append(tx, incident_id, entry=Entry(kind, data), actor=actor, at=now)
        return LinkResult(len(distinct), changed, total)


def list_jobs(uow: UnitOfWork, *, incident_id: int, after: str | None, limit: int) -> Page[JobLink]:
    """Return a page of the incident's job IDs in order."""
    check_limit(limit, maximum=MAX_JOB_PAGE)
    with uow.read() as tx:
        tx.incidents.get(incident_id)
        return Page.cut(tx.jobs.list_(incident_id, after=after, limit=limit + 1), limit)


def incidents_for_job(uow: UnitOfWork, *, job_id: str) -> list[Incident]:
    """Return the incidents a job is linked to, newest first."""
    clean_job_ids([job_id], field="job_id")
    with uow.read() as tx:
        return [tx.incidents.get(i) for i in tx.jobs.incidents_for(job_id)]
