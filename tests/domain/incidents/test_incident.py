"""Decisions on incidents: drafting, transitions, edits, roles and versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from fireline.domain.errors import Conflict, Invalid, StaleVersion
from fireline.domain.incidents import incident as rules
from fireline.domain.incidents.incident import Incident
from fireline.domain.incidents.roles import Role, Roles
from fireline.domain.incidents.severity import Severity
from fireline.domain.incidents.status import Status, Transition

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def _make(**changes: object) -> Incident:
    base = Incident(
        id=7,
        title="Uploads failing",
        severity=Severity.SEV2,
        status=Status.TRIGGERED,
        service="uploads",
        regions=("eu-west-1",),
        roles=Roles(),
        created_at=T0,
        updated_at=T0,
        created_by="alice",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_draft_reports_every_bad_field_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        rules.draft_incident(title="  ", severity="SEV0", service="uploads", regions=["EU", "ok"])
    assert [e.field for e in caught.value.errors] == ["title", "severity", "regions[0]"]


def test_draft_normalizes_severity_and_deduplicates_regions() -> None:
    draft = rules.draft_incident(
        title=" Uploads failing ",
        severity="sev1",
        service="uploads",
        regions=["eu-west-1", "us-east-1", "eu-west-1"],
    )
    assert draft.title == "Uploads failing"
    assert draft.severity is Severity.SEV1
    assert draft.regions == ("eu-west-1", "us-east-1")


def test_acknowledge_stamps_time_and_bumps_version() -> None:
    later = T0 + timedelta(minutes=4)
    acked, entry = rules.transition(_make(), Transition.ACKNOWLEDGE, now=later, reason="on it")
    assert acked.status is Status.ACKNOWLEDGED
    assert acked.acknowledged_at == later
    assert acked.version == 2
    assert entry.kind == "incident.acknowledge"
    assert entry.data == {"from": "triggered", "to": "acknowledged", "reason": "on it"}


def test_reopen_clears_the_stamps_of_the_previous_run() -> None:
    resolved, _ = rules.transition(_make(), Transition.RESOLVE, now=T0)
    reopened, entry = rules.transition(resolved, Transition.REOPEN, now=T0 + timedelta(hours=1))
    assert reopened.status is Status.TRIGGERED
    assert reopened.resolved_at is None
    assert reopened.reopened_at == T0 + timedelta(hours=1)
    assert entry.data == {"from": "resolved", "to": "triggered"}


def test_stale_version_names_the_current_one() -> None:
    with pytest.raises(StaleVersion) as caught:
        rules.check_version(_make(version=3), 2)
    assert caught.value.current_version == 3
    rules.check_version(_make(version=3), 3)
    rules.check_version(_make(version=3), None)


def test_edit_records_only_what_changed() -> None:
    edited, entry = rules.edit(_make(), now=T0, title="Uploads failing", severity="SEV1")
    assert entry is not None
    assert entry.data == {"severity": {"from": "SEV2", "to": "SEV1"}}
    assert edited.version == 2


def test_edit_that_changes_nothing_returns_no_entry() -> None:
    same, entry = rules.edit(_make(), now=T0, regions=["eu-west-1"])
    assert entry is None
    assert same.version == 1


def test_single_roles_change_hands_and_record_the_previous_holder() -> None:
    first, _ = rules.assign_role(_make(), role=Role.COMMANDER, person="alice", now=T0)
    second, entry = rules.assign_role(first, role=Role.COMMANDER, person="bob", now=T0)
    assert second.roles.commander == "bob"
    assert entry.data == {"role": "commander", "person": "bob", "replaced": "alice"}


def test_responders_accumulate_and_can_be_removed() -> None:
    one, _ = rules.assign_role(_make(), role=Role.RESPONDER, person="carol", now=T0)
    two, _ = rules.assign_role(one, role=Role.RESPONDER, person="dan", now=T0)
    assert two.roles.responders == ("carol", "dan")
    left, entry = rules.unassign_role(two, role=Role.RESPONDER, person="carol", now=T0)
    assert left.roles.responders == ("dan",)
    assert entry.kind == "role.unassigned"


def test_assigning_a_role_twice_or_removing_a_missing_one_conflicts() -> None:
    one, _ = rules.assign_role(_make(), role=Role.SCRIBE, person="erin", now=T0)
    with pytest.raises(Conflict):
        rules.assign_role(one, role=Role.SCRIBE, person="erin", now=T0)
    with pytest.raises(Conflict):
        rules.unassign_role(one, role=Role.SCRIBE, person="frank", now=T0)


def test_role_holder_names_are_validated() -> None:
    with pytest.raises(Invalid) as caught:
        rules.assign_role(_make(), role=Role.SCRIBE, person="bad name!", now=T0)
    assert caught.value.errors[0].field == "person"


def test_empty_note_is_invalid() -> None:
    with pytest.raises(Invalid):
        rules.note_entry("   ")
    assert rules.note_entry(" restarted workers ").data == {"text": "restarted workers"}
