"""The base of every fake: records requests, injects faults, and fails the test on surprises.

A fake is a Starlette app served on 127.0.0.1:0 (`running(fake)`). Each handler validates the
request against the contract in `shared/contracts/` and answers with the vendor's own shapes;
what it refuses is recorded as a problem. Tests read accepted requests with `take()`; when the
fake stops, `check_clean()` fails the test on any problem or any accepted request nobody took
(GoAlert's harness `WaitAndAssert`).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.server import serving

TAKE_TIMEOUT_S = 10.0

Handler = Callable[["Received"], Response]


@dataclass(frozen=True)
class Received:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str]

    def json(self) -> Any:
        """The body parsed as JSON (raises on a body that is not JSON)."""
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        """The body parsed as application/x-www-form-urlencoded."""
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)


@dataclass
class Fault:
    """A scripted answer that replaces the next request's normal one."""

    status: int = 500
    retry_after: str | None = None
    delay_s: float = 0.0
    body: dict[str, Any] = field(default_factory=lambda: {"message": "injected fault"})


class Fake:
    """Base of a fake service: subclasses add routes whose handlers get a `Received`."""

    name = "fake"
    # Paths read so often (polls) that tests need not take each request; never "unconsumed".
    quiet_paths: frozenset[str] = frozenset()
    quiet_prefixes: tuple[str, ...] = ()  # the same, for every path under these

    def __init__(self) -> None:
        self.attempts: list[Received] = []  # every request, faulted or not
        self.problems: list[str] = []  # requests refused for breaking the contract
        self._accepted: deque[Received] = deque()
        self._faults: deque[Fault] = deque()
        self._changed = threading.Condition()
        self.app = Starlette(
            routes=[Route(p, self._wrap(h), methods=m) for p, m, h in self.routes()]
        )
        self.app.add_exception_handler(404, self._not_found)

    def routes(self) -> list[tuple[str, list[str], Handler]]:
        """(path, methods, handler) for each endpoint the fake serves."""
        raise NotImplementedError

    # --- scripting -------------------------------------------------------------------------
    def fail_next(
        self, status: int = 500, *, times: int = 1, retry_after: str | None = None
    ) -> None:
        """Answer the next `times` requests with `status` (and Retry-After when given)."""
        for _ in range(times):
            self._faults.append(Fault(status=status, retry_after=retry_after))

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` requests for `seconds` before answering (provokes timeouts)."""
        for _ in range(times):
            self._faults.append(Fault(status=0, delay_s=seconds))

    # --- reading ---------------------------------------------------------------------------
    def take(self, count: int = 1, *, timeout_s: float = TAKE_TIMEOUT_S) -> list[Received]:
        """Wait for `count` accepted requests and consume them, oldest first."""
        with self._changed:
            arrived = self._changed.wait_for(
                lambda: len(self._accepted) >= count or bool(self.problems), timeout_s
            )
            if self.problems:
                raise AssertionError(f"{self.name} refused requests: {self.problems}")
            if not arrived:
                raise AssertionError(
                    f"{self.name} got {len(self._accepted)} of {count} expected requests"
                )
            return [self._accepted.popleft() for _ in range(count)]

    def wait_for_attempts(self, count: int, *, timeout_s: float = TAKE_TIMEOUT_S) -> None:
        """Wait until `count` requests arrived (answered or not, faulted or not)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.attempts) >= count, timeout_s):
                raise AssertionError(f"{self.name} got {len(self.attempts)} of {count} requests")

    def pending(self) -> int:
        """How many accepted requests nobody has taken yet."""
        with self._changed:
            return len(self._accepted)

    def check_clean(self) -> None:
        """Fail on refused requests or on accepted ones the test never took."""
        problems = list(self.problems)
        if self._accepted:
            problems.append(f"{len(self._accepted)} request(s) nobody took: {list(self._accepted)}")
        if problems:
            raise AssertionError(f"{self.name}: {problems}")

    # --- plumbing --------------------------------------------------------------------------
    def refuse(self, received: Received, reason: str) -> None:
        """Record that `received` broke the contract (the handler still answers as the vendor)."""
        with self._changed:
            self.problems.append(f"{received.method} {received.path}: {reason}")
            self._changed.notify_all()

    def _accept(self, received: Received) -> None:
        with self._changed:
            self._accepted.append(received)
            self._changed.notify_all()

    def _wrap(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            received = Received(
                method=request.method,
                path=request.url.path,
                headers={k.lower(): v for k, v in request.headers.items()},
                body=await request.body(),
                query=dict(request.query_params),
            )
            with self._changed:
                self.attempts.append(received)
                self._changed.notify_all()
            fault = self._faults.popleft() if self._faults else None
            if fault is not None and fault.delay_s:
                await asyncio.sleep(fault.delay_s)  # the client should give up before this ends
            if fault is not None and fault.status:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
                return JSONResponse(fault.body, status_code=fault.status, headers=headers)
            problems_before = len(self.problems)
            response = handler(received)
            clean = len(self.problems) == problems_before and response.status_code < 400
            quiet = received.path in self.quiet_paths or received.path.startswith(
                self.quiet_prefixes
            )
            if clean and not quiet:
                self._accept(received)
            return response

        return endpoint

    async def _not_found(self, request: Request, _: Exception) -> Response:
        self.refuse(Received(request.method, request.url.path, {}, b"", {}), "no such endpoint")
        return JSONResponse({"message": "not found"}, status_code=404)


@contextmanager
def running(fake: Fake) -> Iterator[str]:
    """Serve `fake` on loopback; yield its base URL; fail on surprises when it stops."""
    with serving(fake.app) as url:
        yield url
    fake.check_clean()
