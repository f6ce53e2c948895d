"""Linking the platform's job IDs to incidents, and finding the incidents a job touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fireline.domain.incidents.incident import Entry, Incident
from fireline.domain.jobs import JobLink, clean_job_ids
from fireline.domain.page import Page, check_limit
from fireline.services.timeline import append
from fireline.store.uow import UnitOfWork

MAX_JOB_PAGE = 10_000


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
    distinct = clean_job_ids(job_ids)
    with uow.write() as tx:
        tx.incidents.get_for_update(incident_id)
        added = tx.jobs.link(incident_id, distinct, actor=actor, now=now)
        total = tx.jobs.count(incident_id)
        if added:
            entry = Entry(
                "jobs.linked",
                {
                    "added": added,
                    "requested": len(distinct),
                    "total": total,
                    "sample": distinct[:10],
                },
            )
            append(tx, incident_id, entry=entry, actor=actor, at=now)
        return LinkResult(len(distinct), added, total)


def unlink_jobs(
    uow: UnitOfWork, *, incident_id: int, job_ids: list[str], actor: str, now: datetime
) -> LinkResult:
    """Remove job IDs from the incident; one timeline event counts the removals."""
    distinct = clean_job_ids(job_ids)
    with uow.write() as tx:
        tx.incidents.get_for_update(incident_id)
        removed = tx.jobs.unlink(incident_id, distinct)
        total = tx.jobs.count(incident_id)
        if removed:
            entry = Entry(
                "jobs.unlinked",
                {
                    "removed": removed,
                    "requested": len(distinct),
                    "total": total,
                    "sample": distinct[:10],
                },
            )
            append(tx, incident_id, entry=entry, actor=actor, at=now)
        return LinkResult(len(distinct), removed, total)


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
