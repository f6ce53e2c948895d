"""Ingest alerts: dedup, route, and open or update incidents, all in one transaction.

A batch is all-or-nothing: either every alert in it is committed (and the sender gets its
2xx), or none is. Repeats of a firing alert are counted on the alert, not written to the
timeline, so a dedup storm cannot flood an incident's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from fireline.domain.alerts.alert import AlertAction, AlertIn, label_fingerprint
from fireline.domain.configuration import Configuration, Heartbeat, Integration
from fireline.domain.errors import Conflict, TransientConflict
from fireline.domain.heartbeat import heartbeat_for
from fireline.domain.incidents import incident as rules
from fireline.domain.incidents.incident import Entry, Incident, IncidentDraft
from fireline.domain.incidents.status import Status, Transition
from fireline.domain.jobs import JOB_ID
from fireline.domain.routing.rules import Decision, OnResolved, route, with_title
from fireline.domain.routing.template import TemplateProblem, render
from fireline.domain.validation import SLUG
from fireline.services.heartbeats import beat_in
from fireline.services.incidents import save_change
from fireline.services.jobs import SAMPLE
from fireline.services.paging.escalations import on_opened
from fireline.services.runbooks.runs import start_auto_run
from fireline.services.timeline import append
from fireline.store.repos.alert import Firing
from fireline.store.repos.incident import Opening
from fireline.store.uow import Tx, UnitOfWork

# A deadlock between concurrent batches is retried this many times in all.
ATTEMPTS = 3
# An alert may name the platform jobs it is about (the sandbox's rules do): they are linked.
JOB_IDS_ANNOTATION = "job_ids"
MAX_ALERT_JOBS = 1000


@dataclass
class IngestResult:
    """What a batch did: counts, the incidents it touched and any template fallbacks."""

    accepted: int = 0
    new: int = 0
    repeats: int = 0
    resolved: int = 0
    acknowledged: int = 0
    heartbeats: int = 0
    unmatched: int = 0
    opened: list[int] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)
    dedup_keys: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Planned:
    alert: AlertIn
    decision: Decision
    dedup_key: str
    paging_suppressed: bool
    heartbeat: Heartbeat | None = None


@dataclass(frozen=True, slots=True)
class _Batch:
    """What every step of one batch's transaction works with."""

    tx: Tx
    config: Configuration
    integration: Integration
    actor: str
    now: datetime
    result: IngestResult
    # The open incident of each group key this transaction has locked, shared by all its
    # batches: a hundred alerts of one group look their incident up once, not a hundred times.
    open_incidents: dict[str, Incident]


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """One sender's batch: it is committed whole or not at all."""

    config: Configuration
    integration: Integration
    alerts: Sequence[AlertIn]
    now: datetime


def ingest_alerts(
    uow: UnitOfWork,
    *,
    config: Configuration,
    integration: Integration,
    alerts: Sequence[AlertIn],
    now: datetime,
) -> IngestResult:
    """Store a batch of alerts and apply them to incidents; commit all of it or nothing."""
    return ingest_together(uow, [IngestRequest(config, integration, alerts, now)])[0]


def ingest_together(uow: UnitOfWork, requests: Sequence[IngestRequest]) -> list[IngestResult]:
    """Apply several senders' batches in one transaction: every one of them, or none.

    One transaction for many requests (group commit) saves most of what a transaction costs
    per alert; each request keeps its own result. A deadlock is retried from the start.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _ingest_once(uow, requests)
        except TransientConflict:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _ingest_once(uow: UnitOfWork, requests: Sequence[IngestRequest]) -> list[IngestResult]:
    results = [IngestResult(accepted=len(r.alerts)) for r in requests]
    plans = [
        [_plan(alert, r.config, r.integration, r.now, result) for alert in r.alerts]
        for r, result in zip(requests, results, strict=True)
    ]
    # Take row locks in one global order (group key, then dedup key) so that concurrent
    # transactions touching the same alerts queue behind each other instead of deadlocking.
    # The sort is stable: one alert's fire and resolve keep the order they were sent in.
    ordered = sorted(
        ((index, item) for index, planned in enumerate(plans) for item in planned),
        key=lambda pair: (pair[1].decision.group_key, pair[1].dedup_key),
    )
    open_incidents: dict[str, Incident] = {}
    with uow.write() as tx:
        batches = [
            _Batch(
                tx, r.config, r.integration, _actor(r.integration), r.now, result, open_incidents
            )
            for r, result in zip(requests, results, strict=True)
        ]
        for plain_fires, run in groupby(ordered, key=lambda pair: _is_plain_fire(pair[1])):
            if plain_fires:
                _fire_together(batches, list(run))
            else:
                for index, item in run:
                    _apply(batches[index], item)
        for batch, planned in zip(batches, plans, strict=True):
            _note_truncation(batch, planned)
    return results


def _actor(integration: Integration) -> str:
    return f"{integration.kind.value}:{integration.name}"


def _plan(
    alert: AlertIn,
    config: Configuration,
    integration: Integration,
    now: datetime,
    result: IngestResult,
) -> _Planned:
    decision = route(alert, config.routing, titled=False)
    result.problems += decision.problems
    key = _dedup_key(alert, integration, result)
    result.dedup_keys.append(key)
    suppressed = any(w.covers(decision.service, now) for w in config.maintenance)
    return _Planned(alert, decision, key, suppressed, heartbeat_for(config, alert.labels))


def _dedup_key(alert: AlertIn, integration: Integration, result: IngestResult) -> str:
    if integration.dedup_key:
        context = {
            "labels": alert.labels,
            "annotations": alert.annotations,
            "summary": alert.summary,
            "severity": alert.severity or "",
            "source": alert.source,
        }
        try:
            rendered = render(integration.dedup_key, context)
            if rendered:
                return rendered[:255]
        except TemplateProblem as problem:
            result.problems.append(f"dedup_key template failed ({problem}); used the default")
    return alert.dedup_key or label_fingerprint(alert.labels)


def _is_plain_fire(item: _Planned) -> bool:
    return item.heartbeat is None and item.alert.action is AlertAction.FIRE


def _apply(batch: _Batch, item: _Planned) -> None:
    """Apply a heartbeat, a resolution or an acknowledgement (plain fires go together)."""
    # These may change an incident (resolve, acknowledge, recover): look it up afresh.
    batch.open_incidents.clear()
    if item.heartbeat is not None:
        # Alerts that feed a heartbeat (Watchdog) keep it alive; they open no incident.
        if item.alert.action is AlertAction.FIRE:
            beat_in(batch.tx, item.heartbeat, now=batch.now)
        batch.result.heartbeats += 1
    elif item.alert.action is AlertAction.RESOLVE:
        _resolve(batch, item)
    else:
        _acknowledge(batch, item)


def _fire_together(batches: Sequence[_Batch], run: Sequence[tuple[int, _Planned]]) -> None:
    """Store a run of firing alerts with one upsert, then file each new one in its incident.

    The open incidents of all their groups are looked up (and locked) in one query, and the
    groups without one get theirs in one insert. The outcome is what applying the alerts one
    by one in this order would give.
    """
    tx = batches[0].tx
    stored = tx.alerts.upsert_firing(
        [
            Firing(
                item.alert,
                integration=batches[index].integration.name,
                dedup_key=item.dedup_key,
                service=item.decision.service,
                group_key=item.decision.group_key,
                now=batches[index].now,
            )
            for index, item in run
        ]
    )
    new: list[tuple[_Batch, _Planned, int]] = []
    for (index, item), alert in zip(run, stored, strict=True):
        if alert.new:
            batches[index].result.new += 1
            new.append((batches[index], item, alert.id))
        else:
            batches[index].result.repeats += 1
    open_incidents = batches[0].open_incidents
    unknown = {item.decision.group_key for _, item, _ in new} - open_incidents.keys()
    if unknown:
        open_incidents.update(tx.incidents.find_open_by_group_keys_for_update(list(unknown)))
    _open_missing(tx, new)
    for batch, item, alert_id in new:
        _file(batch, item, alert_id)


def _file(batch: _Batch, item: _Planned, alert_id: int) -> None:
    """Attach a new alert to its group's open incident (raising its severity if worse)."""
    tx, result, group_key = batch.tx, batch.result, item.decision.group_key
    incident = batch.open_incidents[group_key]
    if item.decision.severity.is_worse_than(incident.severity):
        incident = _raise_severity(batch, incident, item)
    tx.alerts.attach(alert_id, incident.id)
    batch.open_incidents[group_key] = incident
    entry = _fired_entry(item, alert_id, batch.integration)
    append(tx, incident.id, entry=entry, actor=batch.actor, at=batch.now)
    _link_jobs(batch, incident.id, item)
    _touch(result, incident.id)


def _link_jobs(batch: _Batch, incident_id: int, item: _Planned) -> None:
    """Link the job IDs an alert names in its `job_ids` annotation (comma-separated)."""
    named = str(item.alert.annotations.get(JOB_IDS_ANNOTATION, ""))
    if not named:  # most alerts name none
        return
    job_ids = list(dict.fromkeys(j.strip() for j in named.split(",") if JOB_ID.match(j.strip())))
    if not job_ids:
        return
    added = batch.tx.jobs.link(
        incident_id, job_ids[:MAX_ALERT_JOBS], actor=batch.actor, now=batch.now
    )
    if added:
        data = {
            "added": added,
            "total": batch.tx.jobs.count(incident_id),
            "sample": job_ids[:SAMPLE],
            "from": f"alert {item.dedup_key}",
        }
        append(
            batch.tx, incident_id, entry=Entry("jobs.linked", data), actor=batch.actor, at=batch.now
        )


def _open_missing(tx: Tx, new: Sequence[tuple[_Batch, _Planned, int]]) -> None:
    """Open an incident for each group of these new alerts that has none, in one statement."""
    firsts: dict[str, tuple[_Batch, _Planned, IncidentDraft]] = {}
    for batch, item, _ in new:
        key = item.decision.group_key
        if key not in batch.open_incidents and key not in firsts:
            firsts[key] = (batch, item, _draft(batch, item))
    if not firsts:
        return
    opened = tx.incidents.add_grouped_many(
        [
            Opening(
                draft,
                # A service the catalog lacks (a config not yet applied) is added: alerts are kept.
                service_id=tx.services.ensure(item.decision.service, now=batch.now),
                created_by=batch.actor,
                now=batch.now,
                group_key=key,
                runbook_url=item.decision.runbook,
            )
            for key, (batch, item, draft) in firsts.items()
        ]
    )
    # Another transaction opened these first (PostgreSQL): their alerts attach to theirs.
    raced = [key for key in firsts if key not in opened]
    theirs = tx.incidents.find_open_by_group_keys_for_update(raced) if raced else {}
    for key, (batch, item, draft) in firsts.items():
        if key in opened:
            _announce(batch, item, draft, opened[key])
        elif key not in theirs:
            raise Conflict(f"the incident for {key!r} changed meanwhile; retry")
        batch.open_incidents[key] = opened.get(key) or theirs[key]


def _draft(batch: _Batch, item: _Planned) -> IncidentDraft:
    decision = item.decision
    titled = with_title(decision, item.alert)
    batch.result.problems += titled.problems[len(decision.problems) :]
    region = item.alert.labels.get("region", "")
    return IncidentDraft(
        title=titled.title[: rules.MAX_TITLE],
        severity=decision.severity,
        service=decision.service,
        regions=(region,) if SLUG.match(region) else (),
    )


def _announce(batch: _Batch, item: _Planned, draft: IncidentDraft, incident: Incident) -> None:
    """Record an incident this alert opened: timeline, first pages, automated runbook."""
    tx, decision, now = batch.tx, item.decision, batch.now
    batch.result.opened.append(incident.id)
    data = {
        **rules.opened_entry(draft).data,
        "group_key": decision.group_key,
        "rule": decision.rule,
        "runbook": decision.runbook,
        "source": item.alert.source,
    }
    if item.paging_suppressed:
        data["paging_suppressed"] = "maintenance window"
    append(tx, incident.id, entry=Entry("incident.opened", data), actor=batch.actor, at=now)
    if not item.paging_suppressed:
        on_opened(tx, incident, config=batch.config, now=now)
    start_auto_run(tx, incident, config=batch.config, labels=dict(item.alert.labels), now=now)


def _raise_severity(batch: _Batch, incident: Incident, item: _Planned) -> Incident:
    updated, entry = rules.edit(incident, now=batch.now, severity=item.decision.severity.value)
    assert entry is not None
    reason = f"alert {item.dedup_key} is {item.decision.severity.value}"
    return save_change(
        batch.tx,
        incident,
        updated,
        Entry(entry.kind, {**entry.data, "reason": reason}),
        actor=batch.actor,
        now=batch.now,
    ).incident


def _fired_entry(item: _Planned, alert_id: int, integration: Integration) -> Entry:
    data: dict[str, Any] = {
        "alert_id": alert_id,
        "dedup_key": item.dedup_key,
        "integration": integration.name,
        "source": item.alert.source,
        "summary": item.alert.summary,
        "severity": item.decision.severity.value,
        "rule": item.decision.rule,
        "runbook": item.decision.runbook,
    }
    if item.paging_suppressed:
        data["paging_suppressed"] = "maintenance window"
    return Entry("alert.fired", data)


def _resolve(batch: _Batch, item: _Planned) -> None:
    tx, result = batch.tx, batch.result
    stored = tx.alerts.resolve(
        integration=batch.integration.name,
        dedup_key=item.dedup_key,
        ends_at=item.alert.ends_at,
        now=batch.now,
    )
    if stored is None:
        result.unmatched += 1
        return
    result.resolved += 1
    if stored.incident_id is None:
        return
    incident = tx.incidents.get_for_update(stored.incident_id)
    entry = Entry(
        "alert.resolved",
        {
            "alert_id": stored.id,
            "dedup_key": item.dedup_key,
            "integration": batch.integration.name,
            "source": item.alert.source,
        },
    )
    append(tx, incident.id, entry=entry, actor=batch.actor, at=batch.now)
    _touch(result, incident.id)
    if tx.alerts.count_firing(incident.id) == 0:
        _settle(batch, incident)


def _settle(batch: _Batch, incident: Incident) -> None:
    """Mitigate or resolve an incident whose alerts have all resolved."""
    on_resolved = batch.config.routing.on_resolved
    action = Transition.RESOLVE if on_resolved is OnResolved.RESOLVE else Transition.MITIGATE
    if incident.status is Status.RESOLVED or (
        action is Transition.MITIGATE and incident.status is Status.MITIGATED
    ):
        return
    updated, entry = rules.transition(incident, action, now=batch.now, reason="all alerts resolved")
    save_change(batch.tx, incident, updated, entry, actor=batch.actor, now=batch.now)


def _acknowledge(batch: _Batch, item: _Planned) -> None:
    tx, result = batch.tx, batch.result
    stored = tx.alerts.find_open(integration=batch.integration.name, dedup_key=item.dedup_key)
    if stored is None or stored.incident_id is None:
        result.unmatched += 1
        return
    result.acknowledged += 1
    incident = tx.incidents.get_for_update(stored.incident_id)
    _touch(result, incident.id)
    if incident.status is Status.TRIGGERED:
        updated, entry = rules.transition(
            incident,
            Transition.ACKNOWLEDGE,
            now=batch.now,
            reason=f"acknowledged through {batch.integration.name} ({item.dedup_key})",
        )
        save_change(tx, incident, updated, entry, actor=batch.actor, now=batch.now)


def _note_truncation(batch: _Batch, planned: list[_Planned]) -> None:
    truncated = max((int(p.alert.details.get("truncated_alerts") or 0) for p in planned), default=0)
    if truncated <= 0:
        return
    for incident_id in batch.result.touched:
        entry = Entry("alerts.truncated", {"truncated_alerts": truncated})
        append(batch.tx, incident_id, entry=entry, actor=batch.actor, at=batch.now)


def _touch(result: IngestResult, incident_id: int) -> None:
    if incident_id not in result.touched:
        result.touched.append(incident_id)
