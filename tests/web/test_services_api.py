"""The service catalog API."""

from __future__ import annotations

from tests.support.api import Api

SERVICES = "/api/v1/services"


def test_put_creates_then_replaces(api: Api) -> None:
    body = {"name": "uploads", "team": "ingest", "tier": 1, "regions": ["eu-west-1"]}
    assert api.put(f"{SERVICES}/uploads", as_="admin", json=body).status_code == 201
    body["tier"] = 2
    replaced = api.put(f"{SERVICES}/uploads", as_="admin", json=body)
    assert replaced.status_code == 200
    assert api.ok("GET", f"{SERVICES}/uploads", as_="viewer")["tier"] == 2
    assert [s["name"] for s in api.ok("GET", SERVICES, as_="viewer")] == ["uploads"]


def test_bad_service_names_every_field(api: Api) -> None:
    response = api.put(
        f"{SERVICES}/Bad Name",
        as_="admin",
        json={"name": "Bad Name", "team": "", "tier": 9, "regions": ["EU"]},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"name", "team", "tier", "regions[0]"}


def test_name_must_match_the_path(api: Api) -> None:
    response = api.put(f"{SERVICES}/a", as_="admin", json={"name": "b", "team": "t", "tier": 1})
    assert response.status_code == 422


def test_unknown_service_is_a_404(api: Api) -> None:
    assert api.get(f"{SERVICES}/nope", as_="viewer").status_code == 404
