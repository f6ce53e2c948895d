"""Health, readiness, metrics and the API docs (served with no CDN)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from fireline.app import build
from fireline.config import Settings
from fireline.web.app import create_app
from tests.support.api import Api
from tests.support.fake_clock import FakeClock


def test_healthz_and_readyz_answer_without_a_token(api: Api) -> None:
    assert api.ok("GET", "/healthz", as_=None) == {"status": "ok"}
    ready = api.ok("GET", "/readyz", as_=None)
    assert ready == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


def test_readyz_is_503_when_migrations_are_behind(empty_db_url: str) -> None:
    container = build(Settings(database_url=empty_db_url), FakeClock())
    with TestClient(create_app(container)) as client:
        response = client.get("/readyz")
    container.uow.engine.dispose()
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"].startswith("at None")


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    container = build(Settings(database_url=url), FakeClock())
    with TestClient(create_app(container)) as client:
        response = client.get("/readyz")
        api_response = client.get("/api/v1/incidents", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")
    assert api_response.status_code == 503
    assert api_response.headers["retry-after"]


def test_metrics_count_requests_by_route_and_incidents_by_status(
    api: Api, make_incident: Callable[..., dict[str, Any]]
) -> None:
    ref = make_incident()["ref"]
    make_incident()
    api.ok("POST", f"/api/v1/incidents/{ref}/acknowledge", as_="responder")
    text = api.get("/metrics", as_=None).text
    assert 'fireline_incidents{status="triggered"} 1.0' in text
    assert 'fireline_incidents{status="acknowledged"} 1.0' in text
    assert re.search(
        r'fireline_http_requests_total\{method="POST",route="/api/v1/incidents/\{ref\}/'
        r'acknowledge",status="200"\} 1\.0',
        text,
    )
    assert "fireline_http_request_duration_seconds_bucket" in text


def test_openapi_and_docs_need_no_cdn(api: Api) -> None:
    spec = api.ok("GET", "/openapi.json", as_=None)
    assert "/api/v1/incidents/{ref}/acknowledge" in spec["paths"]
    page = api.get("/docs", as_=None)
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    assert all(a.startswith("/") for a in assets), assets
    for asset in assets:
        assert api.get(asset, as_=None).status_code == 200, asset
