"""Intake's fast path: which requests it serves itself, and what it leaves to FastAPI."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from fireline.domain.errors import NotFound
from fireline.services.container import Container
from fireline.web.intake_fast_path import IntakeFastPath
from tests.support.api import Api
from tests.support.configs import apply_config

router = APIRouter()


@router.post("/hooks/{key}")
async def keyed(key: str, request: Request) -> JSONResponse:
    if key == "unknown":
        raise NotFound("no integration has that key")
    return JSONResponse({"served": "keyed", "key": key, "body": (await request.body()).decode()})


@router.post("/alerts")
async def exact(request: Request) -> JSONResponse:
    return JSONResponse({"served": "exact", "path": request.url.path})


@router.get("/alerts")
async def listed(request: Request) -> JSONResponse:
    return JSONResponse({"served": "listed", "path": request.url.path})


class _Downstream:
    """Stands for FastAPI: records what reached it and answers 299."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, _receive: Receive, send: Send) -> None:
        self.paths.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _call(app: IntakeFastPath, method: str, path: str, body: bytes = b"") -> tuple[int, Any, Scope]:
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [],
        "query_string": b"",
        "root_path": "",
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    body_sent = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body_sent, scope


@pytest.fixture
def downstream() -> _Downstream:
    return _Downstream()


@pytest.fixture
def fast(downstream: _Downstream) -> IntakeFastPath:
    return IntakeFastPath(downstream, routes=router.routes, endpoints=(keyed, exact))


def test_posts_to_its_routes_are_served_without_reaching_fastapi(
    fast: IntakeFastPath, downstream: _Downstream
) -> None:
    status, body, scope = _call(fast, "POST", "/hooks/k-123", b'{"a": 1}')
    assert (status, body) == (200, b'{"served":"keyed","key":"k-123","body":"{\\"a\\": 1}"}')
    assert scope["route"].path == "/hooks/{key}"  # what the metrics label requests by
    assert _call(fast, "POST", "/alerts")[:2] == (200, b'{"served":"exact","path":"/alerts"}')
    assert downstream.paths == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/alerts"),  # another method on a fast path
        ("POST", "/hooks/"),  # no key
        ("POST", "/hooks/a/b"),  # a key holds no slash
        ("POST", "/alerts/"),  # FastAPI answers trailing slashes
        ("POST", "/elsewhere"),
    ],
)
def test_everything_else_goes_on_to_fastapi(
    fast: IntakeFastPath, downstream: _Downstream, method: str, path: str
) -> None:
    assert _call(fast, method, path)[0] == 299
    assert downstream.paths == [(method, path)]


def test_a_domain_error_is_the_same_problem_json(fast: IntakeFastPath) -> None:
    status, body, _ = _call(fast, "POST", "/hooks/unknown")
    assert status == 404
    assert b'"type":"urn:fireline:problem:not-found"' in body
    assert b'"instance":"/hooks/unknown"' in body


def test_every_fast_endpoint_needs_its_post_route(downstream: _Downstream) -> None:
    with pytest.raises(ValueError, match="one POST route"):
        IntakeFastPath(downstream, routes=router.routes, endpoints=(keyed, exact, listed))


def test_intake_requests_are_still_counted_by_route_template(
    api: Api, container: Container, tmp_path: Path
) -> None:
    apply_config(
        container,
        "services:\n  - {name: monitoring, team: sre, tier: 2}\n"
        "integrations:\n  - {name: api, kind: generic, key: api-test-key-01}\n"
        "routing:\n  catch_all_service: monitoring\n",
        tmp_path,
    )
    headers = {"Authorization": "Bearer api-test-key-01"}
    sent = api.post("/api/v1/alerts", as_=None, headers=headers, json={"summary": "disk full"})
    assert sent.status_code == 200
    assert api.post("/integrations/alertmanager/nope", as_=None, json={}).status_code == 404
    text = api.get("/metrics", as_=None).text
    assert re.search(
        r'fireline_http_requests_total\{method="POST",route="/api/v1/alerts",status="200"\} 1\.0',
        text,
    )
    assert re.search(
        r'fireline_http_requests_total\{method="POST",route="/integrations/alertmanager/\{key\}",'
        r'status="404"\} 1\.0',
        text,
    )
