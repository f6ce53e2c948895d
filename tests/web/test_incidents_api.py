"""The incident API over HTTP (ASGI), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.api import Api
from tests.support.fake_clock import FakeClock

INCIDENTS = "/api/v1/incidents"
MakeIncident = Callable[..., dict[str, Any]]


def test_create_returns_the_triggered_incident_and_its_location(
    api: Api, make_service: Callable[..., str]
) -> None:
    make_service("uploads")
    response = api.post(
        INCIDENTS,
        as_="responder",
        json={
            "title": "Uploads failing",
            "severity": "sev1",
            "service": "uploads",
            "regions": ["eu-west-1", "us-east-1"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{INCIDENTS}/{body['ref']}"
    assert body["ref"] == f"INC-{body['id']}"
    assert (body["status"], body["severity"], body["version"]) == ("triggered", "SEV1", 1)
    assert body["regions"] == ["eu-west-1", "us-east-1"]
    assert body["created_by"] == "responder"
    assert body["created_at"].endswith("Z")


def test_create_names_every_bad_field(api: Api) -> None:
    response = api.post(
        INCIDENTS,
        as_="responder",
        json={"title": "", "severity": "SEV0", "service": "nowhere", "regions": ["EU West"]},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"title", "severity", "regions[0]", "service"}


def test_missing_fields_and_unknown_fields_are_named(api: Api) -> None:
    response = api.post(INCIDENTS, as_="responder", json={"title": "x", "sevrity": "SEV1"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"severity", "service", "sevrity"} <= fields


def test_malformed_json_is_a_400(api: Api) -> None:
    response = api.post(
        INCIDENTS,
        as_="responder",
        content=b'{"title": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:fireline:problem:malformed-json"


def test_ref_accepts_number_and_prefix(api: Api, make_incident: MakeIncident) -> None:
    incident = make_incident()
    by_ref = api.ok("GET", f"{INCIDENTS}/{incident['ref']}", as_="viewer")
    by_number = api.ok("GET", f"{INCIDENTS}/{incident['id']}", as_="viewer")
    assert by_ref == by_number == incident


def test_unknown_incident_is_a_404_problem(api: Api) -> None:
    response = api.get(f"{INCIDENTS}/INC-999", as_="viewer")
    assert response.status_code == 404
    assert response.json()["detail"] == "no incident INC-999"
    assert api.get(f"{INCIDENTS}/banana", as_="viewer").status_code == 404


def test_full_lifecycle_stamps_each_transition_and_records_it(
    api: Api, make_incident: MakeIncident, clock: FakeClock
) -> None:
    ref = make_incident()["ref"]
    for action, status in [
        ("acknowledge", "acknowledged"),
        ("mitigate", "mitigated"),
        ("resolve", "resolved"),
        ("reopen", "triggered"),
    ]:
        clock.advance(minutes=5)
        body = api.ok(
            "POST", f"{INCIDENTS}/{ref}/{action}", as_="responder", json={"reason": f"{action} now"}
        )
        assert body["status"] == status
    assert body["version"] == 5
    assert body["reopened_at"] is not None
    assert body["acknowledged_at"] is None
    timeline = api.ok("GET", f"{INCIDENTS}/{ref}/timeline", as_="viewer")["items"]
    assert [e["kind"] for e in timeline] == [
        "incident.opened",
        "incident.acknowledge",
        "incident.mitigate",
        "incident.resolve",
        "incident.reopen",
    ]
    assert timeline[1]["data"] == {
        "from": "triggered",
        "to": "acknowledged",
        "reason": "acknowledge now",
    }
    assert all(e["actor"] == "responder" for e in timeline)
    assert [e["prev_hash"] for e in timeline[1:]] == [e["hash"] for e in timeline[:-1]]


def test_illegal_transition_is_a_409_and_changes_nothing(
    api: Api, make_incident: MakeIncident
) -> None:
    ref = make_incident()["ref"]
    response = api.post(f"{INCIDENTS}/{ref}/reopen", as_="responder")
    assert response.status_code == 409
    assert "cannot reopen an incident that is triggered" in response.json()["detail"]
    after = api.ok("GET", f"{INCIDENTS}/{ref}", as_="viewer")
    assert (after["status"], after["version"]) == ("triggered", 1)
    assert len(api.ok("GET", f"{INCIDENTS}/{ref}/timeline", as_="viewer")["items"]) == 1


def test_stale_version_is_a_409_with_the_current_version(
    api: Api, make_incident: MakeIncident
) -> None:
    ref = make_incident()["ref"]
    api.ok(
        "PATCH",
        f"{INCIDENTS}/{ref}",
        as_="responder",
        json={"expected_version": 1, "severity": "SEV1"},
    )
    response = api.patch(
        f"{INCIDENTS}/{ref}", as_="responder", json={"expected_version": 1, "title": "Lost update"}
    )
    assert response.status_code == 409
    assert response.json()["current_version"] == 2
    assert api.ok("GET", f"{INCIDENTS}/{ref}", as_="viewer")["title"] == "Queue saturated"
    stale_ack = api.post(
        f"{INCIDENTS}/{ref}/acknowledge", as_="responder", json={"expected_version": 1}
    )
    assert stale_ack.status_code == 409


def test_patch_changes_title_severity_and_regions(api: Api, make_incident: MakeIncident) -> None:
    ref = make_incident()["ref"]
    body = api.ok(
        "PATCH",
        f"{INCIDENTS}/{ref}",
        as_="responder",
        json={
            "expected_version": 1,
            "title": "Queue saturated everywhere",
            "severity": "SEV1",
            "regions": ["eu-west-1", "us-east-1"],
        },
    )
    assert (body["title"], body["severity"], body["version"]) == (
        "Queue saturated everywhere",
        "SEV1",
        2,
    )
    event = api.ok("GET", f"{INCIDENTS}/{ref}/timeline", as_="viewer")["items"][-1]
    assert event["kind"] == "incident.edited"
    assert event["data"]["regions"] == {"from": ["eu-west-1"], "to": ["eu-west-1", "us-east-1"]}
    assert api.ok("GET", INCIDENTS, as_="viewer", params={"region": "us-east-1"})["items"]


def test_notes_go_to_the_timeline_without_changing_the_version(
    api: Api, make_incident: MakeIncident
) -> None:
    ref = make_incident()["ref"]
    response = api.post(
        f"{INCIDENTS}/{ref}/notes",
        as_="responder",
        json={"text": "Scaled extraction workers to 12"},
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "note.added"
    assert api.ok("GET", f"{INCIDENTS}/{ref}", as_="viewer")["version"] == 1
    assert (
        api.post(f"{INCIDENTS}/{ref}/notes", as_="responder", json={"text": " "}).status_code == 422
    )


def test_roles_are_assigned_and_removed_by_commanders(
    api: Api, make_incident: MakeIncident
) -> None:
    ref = make_incident()["ref"]
    roles = f"{INCIDENTS}/{ref}/roles"
    api.ok("POST", roles, json={"role": "commander", "person": "alice"})
    api.ok("POST", roles, json={"role": "responder", "person": "bob"})
    api.ok("POST", roles, json={"role": "responder", "person": "carol"})
    body = api.ok("POST", roles, json={"role": "scribe", "person": "dan"})
    assert body["roles"] == {
        "commander": "alice",
        "communications_lead": None,
        "scribe": "dan",
        "responders": ["bob", "carol"],
    }
    body = api.ok("POST", roles, json={"role": "responder", "person": "bob", "remove": True})
    assert body["roles"]["responders"] == ["carol"]
    assert api.post(roles, json={"role": "captain", "person": "x"}).status_code == 422
    assert api.post(roles, json={"role": "scribe", "person": "dan"}).status_code == 409
    assert (
        api.post(roles, as_="responder", json={"role": "scribe", "person": "eve"}).status_code
        == 403
    )


def test_list_filters_by_every_field(
    api: Api, make_incident: MakeIncident, clock: FakeClock
) -> None:
    first = make_incident(severity="SEV1", regions=["eu-west-1"])
    clock.advance(hours=1)
    second = make_incident(service="uploads", regions=["us-east-1"])
    api.ok("POST", f"{INCIDENTS}/{second['ref']}/acknowledge", as_="responder")
    api.ok("POST", f"{INCIDENTS}/{first['ref']}/jobs", as_="responder", json={"job_ids": ["job-1"]})

    def refs(**params: Any) -> list[str]:
        page = api.ok("GET", INCIDENTS, as_="viewer", params=params)
        return [i["ref"] for i in page["items"]]

    both = [second["ref"], first["ref"]]
    assert refs() == both
    assert refs(status="acknowledged") == [second["ref"]]
    assert refs(status=["acknowledged", "triggered"]) == both
    assert refs(severity="SEV1") == [first["ref"]]
    assert refs(service="uploads") == [second["ref"]]
    assert refs(region="eu-west-1") == [first["ref"]]
    assert refs(job_id="job-1") == [first["ref"]]
    assert refs(created_since=second["created_at"]) == [second["ref"]]
    assert refs(created_until=second["created_at"]) == [first["ref"]]


def test_list_rejects_bad_filters_by_name(api: Api) -> None:
    response = api.get(
        INCIDENTS,
        as_="viewer",
        params={
            "status": "sleeping",
            "created_since": "2026-01-01T00:00:00",
            "limit": 0,
            "bogus": 1,
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"status[0]", "created_since", "limit", "bogus"} <= fields
    bad_cursor = api.get(INCIDENTS, as_="viewer", params={"cursor": "nope"})
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["field"] == "cursor"


def test_cursor_pages_through_everything_once(api: Api, make_incident: MakeIncident) -> None:
    made = [make_incident(title=f"incident {n}")["ref"] for n in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.ok("GET", INCIDENTS, as_="viewer", params=params)
        seen += [i["ref"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


def test_timeline_pages_by_seq(api: Api, make_incident: MakeIncident) -> None:
    ref = make_incident()["ref"]
    for n in range(4):
        api.ok("POST", f"{INCIDENTS}/{ref}/notes", as_="responder", json={"text": f"n{n}"})
    first = api.ok("GET", f"{INCIDENTS}/{ref}/timeline", as_="viewer", params={"limit": 3})
    assert [e["seq"] for e in first["items"]] == [1, 2, 3]
    rest = api.ok(
        "GET",
        f"{INCIDENTS}/{ref}/timeline",
        as_="viewer",
        params={"after_seq": first["next_after_seq"]},
    )
    assert [e["seq"] for e in rest["items"]] == [4, 5]
    assert rest["next_after_seq"] is None
