"""Tokens and roles: 401 without a valid token, 403 for a weaker role; denials are counted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.api import Api

INCIDENTS = "/api/v1/incidents"


def _denials(api: Api, reason: str) -> float:
    text = api.get("/metrics", as_=None).text
    for line in text.splitlines():
        if line.startswith(f'fireline_auth_denials_total{{reason="{reason}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_no_token_is_a_401_with_a_bearer_challenge(api: Api) -> None:
    response = api.get(INCIDENTS, as_=None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["detail"]
    assert _denials(api, "missing") == 1


def test_unknown_token_is_a_401(api: Api) -> None:
    response = api.get(INCIDENTS, as_=None, headers={"Authorization": "Bearer fl_nope"})
    assert response.status_code == 401
    assert _denials(api, "invalid") == 1


def test_revoked_token_stops_working(api: Api, make_token: Callable[..., str]) -> None:
    secret = make_token("viewer", name="temp")
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get(INCIDENTS, as_=None, headers=headers).status_code == 200
    api.ok("DELETE", "/api/v1/tokens/temp", as_="admin")
    response = api.get(INCIDENTS, as_=None, headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "allowed"),
    [
        ("viewer", "GET", INCIDENTS, None, True),
        ("viewer", "POST", INCIDENTS, {}, False),
        ("responder", "POST", f"{INCIDENTS}/1/acknowledge", None, True),
        ("responder", "POST", f"{INCIDENTS}/1/roles", {"role": "scribe", "person": "a"}, False),
        ("commander", "POST", f"{INCIDENTS}/1/roles", {"role": "scribe", "person": "a"}, True),
        ("commander", "GET", "/api/v1/tokens", None, False),
        ("commander", "PUT", "/api/v1/services/x", {"name": "x", "team": "t", "tier": 1}, False),
        ("admin", "GET", "/api/v1/tokens", None, True),
    ],
)
def test_each_action_needs_its_role(
    api: Api,
    make_incident: Callable[..., dict[str, Any]],
    role: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    allowed: bool,  # noqa: FBT001
) -> None:
    make_incident()
    response = api.request(method, path, as_=role, json=body)
    if allowed:
        assert response.status_code < 400, response.text
    else:
        assert response.status_code == 403
        assert f"this token is {role}" in response.json()["detail"]
        assert _denials(api, "forbidden") == 1


def test_the_actor_of_every_event_is_the_token_name(
    api: Api, make_token: Callable[..., str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    ref = make_incident()["ref"]
    secret = make_token("responder", name="grafana-oncall-bot")
    api.request(
        "POST",
        f"{INCIDENTS}/{ref}/acknowledge",
        as_=None,
        headers={"Authorization": f"Bearer {secret}"},
    )
    events = api.ok("GET", f"{INCIDENTS}/{ref}/timeline", as_="viewer")["items"]
    assert [e["actor"] for e in events] == ["responder", "grafana-oncall-bot"]


def test_denials_are_logged(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="fireline.auth"):
        api.get(INCIDENTS, as_=None)
        api.post(INCIDENTS, as_="viewer", json={})
    messages = [r.getMessage() for r in caplog.records]
    assert any("access denied (missing)" in m and "GET /api/v1/incidents" in m for m in messages)
    assert any("access denied (forbidden)" in m and "'viewer'" in m for m in messages)
