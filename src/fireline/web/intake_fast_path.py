"""Alert intake's fast path: its POST routes served without FastAPI's routing and dependencies.

Intake is the hottest path there is: one request per alert from many senders. FastAPI's layers
around it (matching the path against every route, solving dependencies, its exception and
exit-stack middlewares) cost about a fifth of the CPU of a one-alert request. This middleware
hands the intake POSTs straight to the same endpoint functions, which still read the body
under the size limit, validate, authenticate by integration key and commit before answering;
domain errors still become the same problem+json. Anything else, including other methods on
these paths, goes on to FastAPI, where the routes stay registered for the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from fireline.domain.errors import FirelineError
from fireline.web.errors import domain_problem

Endpoint = Callable[..., Awaitable[Response]]
KEY = "{key}"


class IntakeFastPath:
    """Serves the POST routes of `endpoints` directly; passes everything else on."""

    def __init__(
        self, app: ASGIApp, *, routes: Iterable[BaseRoute], endpoints: Iterable[Endpoint]
    ) -> None:
        self._app = app
        fast = set(endpoints)
        # Exact paths, and paths ending in one {key} segment by what comes before the key.
        self._exact: dict[str, tuple[Endpoint, APIRoute]] = {}
        self._keyed: dict[str, tuple[Endpoint, APIRoute]] = {}
        for route in routes:
            if (
                isinstance(route, APIRoute)
                and route.endpoint in fast
                and "POST" in (route.methods or ())
            ):
                if route.path.endswith(f"/{KEY}"):
                    self._keyed[route.path.removesuffix(KEY)] = (route.endpoint, route)
                else:
                    self._exact[route.path] = (route.endpoint, route)
        if len(self._exact) + len(self._keyed) != len(fast):
            raise ValueError("every fast endpoint needs one POST route of its own")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve an intake POST, or pass the request on."""
        found = (
            self._match(scope) if scope["type"] == "http" and scope["method"] == "POST" else None
        )
        if found is None:
            await self._app(scope, receive, send)
            return
        (endpoint, route), params = found
        scope["route"] = route  # the metrics label requests by route template, as FastAPI does
        request = Request(scope, receive)
        try:
            response = await endpoint(request=request, **params)
        except FirelineError as error:
            response = await domain_problem(request, error)
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[tuple[Endpoint, APIRoute], dict[str, Any]] | None:
        path: str = scope["path"]
        exact = self._exact.get(path)
        if exact is not None:
            return exact, {}
        prefix, _, key = path.rpartition("/")
        keyed = self._keyed.get(f"{prefix}/") if key else None
        return (keyed, {"key": key}) if keyed is not None else None
