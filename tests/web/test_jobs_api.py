"""Impacted jobs: bulk, idempotent linking; unlinking; paging; a job's incidents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.api import Api

MakeIncident = Callable[..., dict[str, Any]]


def test_linking_one_hundred_thousand_ids_in_one_request_is_idempotent(
    api: Api, make_incident: MakeIncident
) -> None:
    ref = make_incident()["ref"]
    job_ids = [f"job-{n:06d}" for n in range(100_000)]
    first = api.ok(
        "POST", f"/api/v1/incidents/{ref}/jobs", as_="responder", json={"job_ids": job_ids}
    )
    assert first == {"incident": ref, "requested": 100_000, "changed": 100_000, "total": 100_000}
    again = api.ok(
        "POST",
        f"/api/v1/incidents/{ref}/jobs",
        as_="responder",
        json={"job_ids": job_ids[:50_000] + ["job-new"]},
    )
    assert (again["changed"], again["total"]) == (1, 100_001)
    events = api.ok("GET", f"/api/v1/incidents/{ref}/timeline", as_="viewer")["items"]
    linked = [e for e in events if e["kind"] == "jobs.linked"]
    assert [e["data"]["added"] for e in linked] == [100_000, 1]
    assert len(linked[0]["data"]["sample"]) == 10


def test_repeating_a_link_adds_no_event(api: Api, make_incident: MakeIncident) -> None:
    ref = make_incident()["ref"]
    for _ in range(2):
        api.ok(
            "POST",
            f"/api/v1/incidents/{ref}/jobs",
            as_="responder",
            json={"job_ids": ["a", "a", "b"]},
        )
    kinds = [
        e["kind"] for e in api.ok("GET", f"/api/v1/incidents/{ref}/timeline", as_="viewer")["items"]
    ]
    assert kinds == ["incident.opened", "jobs.linked"]


def test_jobs_page_in_order(api: Api, make_incident: MakeIncident) -> None:
    ref = make_incident()["ref"]
    api.ok(
        "POST",
        f"/api/v1/incidents/{ref}/jobs",
        as_="responder",
        json={"job_ids": [f"j{n}" for n in range(5)]},
    )
    page = api.ok("GET", f"/api/v1/incidents/{ref}/jobs", as_="viewer", params={"limit": 2})
    assert [j["job_id"] for j in page["items"]] == ["j0", "j1"]
    assert page["items"][0]["linked_by"] == "responder"
    rest = api.ok(
        "GET", f"/api/v1/incidents/{ref}/jobs", as_="viewer", params={"after": page["next_after"]}
    )
    assert [j["job_id"] for j in rest["items"]] == ["j2", "j3", "j4"]
    assert rest["next_after"] is None


def test_unlink_in_bulk_and_one_by_one(api: Api, make_incident: MakeIncident) -> None:
    ref = make_incident()["ref"]
    api.ok(
        "POST", f"/api/v1/incidents/{ref}/jobs", as_="responder", json={"job_ids": ["a", "b", "c"]}
    )
    bulk = api.ok(
        "POST",
        f"/api/v1/incidents/{ref}/jobs/unlink",
        as_="responder",
        json={"job_ids": ["a", "zzz"]},
    )
    assert (bulk["requested"], bulk["changed"], bulk["total"]) == (2, 1, 2)
    one = api.ok("DELETE", f"/api/v1/incidents/{ref}/jobs/b", as_="responder")
    assert (one["changed"], one["total"]) == (1, 1)
    events = api.ok("GET", f"/api/v1/incidents/{ref}/timeline", as_="viewer")["items"]
    assert [e["data"].get("removed") for e in events if e["kind"] == "jobs.unlinked"] == [1, 1]


def test_a_job_lists_the_incidents_that_touched_it(api: Api, make_incident: MakeIncident) -> None:
    first, second, _ = (make_incident()["ref"] for _ in range(3))
    for ref in (first, second):
        api.ok(
            "POST", f"/api/v1/incidents/{ref}/jobs", as_="responder", json={"job_ids": ["job-42"]}
        )
    found = api.ok("GET", "/api/v1/jobs/job-42/incidents", as_="viewer")
    assert [i["ref"] for i in found["incidents"]] == [second, first]
    assert api.ok("GET", "/api/v1/jobs/job-7/incidents", as_="viewer")["incidents"] == []


def test_bad_job_ids_are_named_and_nothing_is_linked(api: Api, make_incident: MakeIncident) -> None:
    ref = make_incident()["ref"]
    response = api.post(
        f"/api/v1/incidents/{ref}/jobs", as_="responder", json={"job_ids": ["good", "bad id", ""]}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["job_ids[1]", "job_ids[2]"]
    page = api.ok("GET", f"/api/v1/incidents/{ref}/jobs", as_="viewer")
    assert page["items"] == []


def test_linking_to_a_missing_incident_is_a_404(api: Api) -> None:
    response = api.post("/api/v1/incidents/INC-404/jobs", as_="responder", json={"job_ids": ["a"]})
    assert response.status_code == 404


def test_the_largest_page_sizes_are_accepted(api: Api, make_incident: MakeIncident) -> None:
    ref = make_incident()["ref"]
    assert (
        api.get(f"/api/v1/incidents/{ref}/jobs", as_="viewer", params={"limit": 10_000}).status_code
        == 200
    )
    assert (
        api.get(
            f"/api/v1/incidents/{ref}/timeline", as_="viewer", params={"limit": 1000}
        ).status_code
        == 200
    )
    assert api.get("/api/v1/incidents", as_="viewer", params={"limit": 500}).status_code == 200
    assert api.get("/api/v1/incidents", as_="viewer", params={"limit": 501}).status_code == 422
