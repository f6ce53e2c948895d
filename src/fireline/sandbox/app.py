"""The running sandbox: `Sandbox` (platform + evaluator + sender), its ticker and HTTP app.

`Sandbox.advance()` brings the simulation up to the clock's now, evaluating the rules every
`evaluation_interval` of simulated time and handing each evaluation's alerts to the sender. In
a server, `ticking(sandbox)` calls it every second from a thread; tests use a `FakeClock`,
`clock.advance(minutes=2)`, then `sandbox.advance()`, and nothing else moves. Admin actions
apply at the platform's current instant.

`create_app(sandbox)` serves `/metrics`, the Prometheus-shaped `/api/v1/query` and the admin
API (`/admin/...`). Errors are JSON: `{"error": "..."}` with 400, 404 or 422.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fireline.clock import Clock
from fireline.sandbox import faults
from fireline.sandbox.faults import Action, Done
from fireline.sandbox.metrics import (
    CONTENT_TYPE,
    FAILED_JOBS_SHOWN,
    exposition,
    platform_registry,
    series,
)
from fireline.sandbox.model import MAX_CATCH_UP, FailedJob, InvalidRequest, Platform, SandboxError
from fireline.sandbox.query import (
    QueryError,
    Sample,
    error_response,
    evaluate,
    parse,
    vector_response,
)
from fireline.sandbox.rules import AlertState, Evaluator, Rule, load_rules
from fireline.sandbox.sender import Sender, fingerprint

log = logging.getLogger(__name__)

EVALUATION_INTERVAL = timedelta(seconds=15)
TICK_S = 1.0


class Sandbox:
    """The simulated platform with its rule evaluator and (optional) alert sender."""

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int = 0,
        rules: Sequence[Rule] | None = None,
        sender: Sender | None = None,
        evaluation_interval: timedelta = EVALUATION_INTERVAL,
    ) -> None:
        self.clock = clock
        self.sender = sender
        self.evaluation_interval = evaluation_interval
        self._lock = threading.RLock()  # guards the platform and the evaluator
        self._driving = threading.Lock()  # one advance() at a time (ticker or test)
        start = clock.now()
        self.platform = Platform(seed=seed, start=start)
        self.registry = platform_registry(lambda: self.platform)
        self.evaluator = Evaluator(
            load_rules() if rules is None else rules, query=self.samples, clock=clock
        )
        self._next_evaluation_at = start + evaluation_interval

    # --- driving ---------------------------------------------------------------------------
    def advance(self) -> list[AlertState]:
        """Simulate up to the clock's now, evaluating and sending alerts at each interval."""
        with self._driving:
            now = self.clock.now()
            self._next_evaluation_at = max(self._next_evaluation_at, now - MAX_CATCH_UP)
            while True:
                with self._lock:
                    at = self._next_evaluation_at
                    if at > now:
                        self.platform.advance(now)
                        return self.evaluator.alerts()
                    self.platform.advance(at)
                    alerts = self.evaluator.evaluate(at)
                    self._next_evaluation_at = at + self.evaluation_interval
                if self.sender is not None:  # outside the lock: the admin API stays responsive
                    self.sender.send(alerts)

    def close(self) -> None:
        """Close the sender's connections, if there is a sender."""
        if self.sender is not None:
            self.sender.close()

    def alerts(self) -> list[AlertState]:
        """The alerts as of the last evaluation."""
        with self._lock:
            return self.evaluator.alerts()

    # --- reading ---------------------------------------------------------------------------
    def samples(self, expr: str) -> list[Sample]:
        """Evaluate a query expression over the current metrics (raises QueryError)."""
        parsed = parse(expr)
        with self._lock:
            return evaluate(parsed, series(self.registry))

    def query(self, expr: str) -> dict[str, Any]:
        """Answer `/api/v1/query` as Prometheus would (raises QueryError)."""
        with self._lock:
            return vector_response(self.samples(expr), at=self.platform.simulated_at)

    def metrics(self) -> bytes:
        """The Prometheus exposition of the platform."""
        with self._lock:
            return exposition(self.registry)

    def state(self) -> dict[str, Any]:
        """The whole state as JSON: parameters, readings, tokens, faults, failures, alerts."""
        with self._lock:
            return _state(self.platform, self.evaluator.alerts(), self.sender)

    # --- admin actions ---------------------------------------------------------------------
    def scale_workers(self, count: int) -> dict[str, Any]:
        """Run `count` workers (1-100)."""
        return self._act(Done(Action.SCALE_WORKERS, str(count)), lambda p: p.set_workers(count))

    def pause_intake(self) -> dict[str, Any]:
        """Stop accepting uploads."""
        return self._act(Done(Action.PAUSE_INTAKE), lambda p: {"changed": p.pause_intake()})

    def resume_intake(self) -> dict[str, Any]:
        """Accept uploads again."""
        return self._act(Done(Action.RESUME_INTAKE), lambda p: {"changed": p.resume_intake()})

    def rotate_token(self, name: str) -> dict[str, Any]:
        """Issue token `name` anew, valid for 30 days."""
        return self._act(
            Done(Action.ROTATE_TOKEN, name),
            lambda p: {"token": name, "expires_at": _iso(p.rotate_token(name).expires_at)},
        )

    def retry_failed(self) -> dict[str, Any]:
        """Queue the remembered failed jobs again; say which."""
        return self._act(Done(Action.RETRY_FAILED), _retry)

    def drain_dead_letters(self) -> dict[str, Any]:
        """Discard the dead letters; say how many."""
        return self._act(
            Done(Action.DRAIN_DEAD_LETTERS), lambda p: {"drained": p.drain_dead_letters()}
        )

    def inject_fault(self, name: str) -> dict[str, Any]:
        """Start fault `name` (a no-op when it is already active)."""
        with self._lock:
            changed = faults.inject(self.platform, name)
            kind = faults.kind_of(name)
            return {
                "fault": name,
                "changed": changed,
                "effect": kind.effect,
                "healed_by": kind.healed_by,
                "active_faults": sorted(self.platform.faults),
            }

    def clear_faults(self) -> dict[str, Any]:
        """End every fault, undoing its effect."""
        with self._lock:
            return {"cleared": faults.clear(self.platform), "active_faults": []}

    def _act(self, done: Done, action: Callable[[Platform], object]) -> dict[str, Any]:
        with self._lock:
            result = action(self.platform)
            healed = faults.after(self.platform, done)
            body = result if isinstance(result, dict) else {}
            return {
                **body,
                "workers": self.platform.workers,
                "intake_paused": self.platform.intake_paused,
                "healed": healed,
                "active_faults": sorted(self.platform.faults),
            }


@contextmanager
def ticking(sandbox: Sandbox, *, interval_s: float = TICK_S) -> Iterator[None]:
    """Advance `sandbox` every `interval_s` seconds from a thread until the block ends."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                sandbox.advance()
            except Exception:  # a bad tick must not stop the simulation
                log.exception("sandbox tick failed")
            stop.wait(interval_s)

    thread = threading.Thread(target=run, name="sandbox-ticker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval_s + 10)


def _retry(platform: Platform) -> dict[str, Any]:
    job_ids = platform.retry_failed()
    return {"retried": len(job_ids), "job_ids": job_ids}


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _failed(failed: FailedJob) -> dict[str, str]:
    return {
        "job_id": failed.job_id,
        "stage": failed.stage,
        "reason": failed.reason,
        "failed_at": _iso(failed.failed_at),
    }


def _alert(alert: AlertState) -> dict[str, Any]:
    return {
        "alertname": alert.name,
        "status": alert.status.value,
        "fingerprint": fingerprint(alert.labels),
        "value": alert.value,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "active_at": _iso(alert.active_at),
        "fired_at": _iso(alert.fired_at) if alert.fired_at else None,
        "resolved_at": _iso(alert.resolved_at) if alert.resolved_at else None,
    }


def _state(platform: Platform, alerts: list[AlertState], sender: Sender | None) -> dict[str, Any]:
    at = platform.simulated_at
    totals = platform.totals
    return {
        "at": _iso(at),
        "seed": platform.seed,
        "workers": platform.workers,
        "intake_paused": platform.intake_paused,
        "arrival_rate_per_s": platform.arrival_rate * platform.arrival_multiplier,
        "upload_error_probability": platform.upload_error_probability,
        "extraction_error_probability": platform.extraction_error_probability,
        "queue_depth": len(platform.queue),
        "queue_oldest_age_seconds": platform.queue_oldest_age_s(),
        "upload_error_ratio": platform.upload_error_ratio(),
        "extraction_error_ratio": platform.extraction_error_ratio(),
        "uploads_total": totals.uploads,
        "upload_failures_total": totals.upload_failures,
        "jobs_completed_total": totals.jobs_completed,
        "jobs_failed_total": totals.jobs_failed,
        "dead_letters": platform.dead_letters,
        "tokens": {
            name: {
                "expires_at": _iso(token.expires_at),
                "expires_in_seconds": (token.expires_at - at).total_seconds(),
                "expired": platform.token_expired(name, at=at),
            }
            for name, token in platform.tokens.items()
        },
        "faults": [
            {
                "name": f.name,
                "injected_at": _iso(f.injected_at),
                "healed_by": faults.FAULTS[n].healed_by,
            }
            for n, f in platform.faults.items()
        ],
        "failed_job_ids": [f.job_id for f in platform.failed_jobs][-FAILED_JOBS_SHOWN:],
        "recent_failures": [_failed(f) for f in platform.recent_failures(FAILED_JOBS_SHOWN)],
        "alerts": [_alert(a) for a in alerts],
        "sender": None
        if sender is None
        else {"deliveries": sender.deliveries, "last_error": sender.last_error},
    }


# --- HTTP ----------------------------------------------------------------------------------
# Endpoints that only call the sandbox are plain functions: Starlette runs them in its thread
# pool, where waiting for the sandbox's lock does not hold up the event loop.
def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def _metrics(request: Request) -> Response:
    return Response(_sandbox(request).metrics(), media_type=CONTENT_TYPE)


async def _query(request: Request) -> JSONResponse:
    params = dict(request.query_params)
    if request.method == "POST":  # Prometheus takes the form-encoded body too
        form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        params |= {name: values[-1] for name, values in form.items()}
    try:
        expr = params.get("query") or ""
        if not expr.strip():
            raise QueryError("the query is empty")
        return JSONResponse(await run_in_threadpool(_sandbox(request).query, expr))
    except QueryError as error:
        return JSONResponse(error_response(f'invalid parameter "query": {error}'), 400)


async def _workers(request: Request) -> JSONResponse:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError as error:
        raise SandboxError(f"the body is not JSON: {error}") from error
    count = body.get("count") if isinstance(body, dict) else None
    if not isinstance(count, int) or isinstance(count, bool):
        raise InvalidRequest(f'the body must be {{"count": N}} with N from 1 to 100, got {raw!r}')
    return JSONResponse(await run_in_threadpool(_sandbox(request).scale_workers, count))


def _call(method: Callable[[Sandbox], dict[str, Any]]) -> Callable[[Request], JSONResponse]:
    def endpoint(request: Request) -> JSONResponse:
        return JSONResponse(method(_sandbox(request)))

    return endpoint


def _call_named(
    method: Callable[[Sandbox, str], dict[str, Any]],
) -> Callable[[Request], JSONResponse]:
    def endpoint(request: Request) -> JSONResponse:
        return JSONResponse(method(_sandbox(request), request.path_params["name"]))

    return endpoint


def _index(_: Request) -> JSONResponse:
    endpoints = [
        f"{method} {route.path}"
        for route in ROUTES
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]
    return JSONResponse({"service": "fireline-sandbox", "endpoints": endpoints})


async def _sandbox_error(_: Request, error: Exception) -> Response:
    status = error.status if isinstance(error, SandboxError) else 500
    return JSONResponse({"error": str(error)}, status_code=status)


async def _http_error(request: Request, error: Exception) -> Response:
    status = error.status_code if isinstance(error, HTTPException) else 500
    detail = getattr(error, "detail", "")
    return JSONResponse(
        {"error": f"{request.method} {request.url.path}: {detail}"}, status_code=status
    )


_POST = ["POST"]
ROUTES = [
    Route("/", _index),
    Route("/metrics", _metrics),
    Route("/api/v1/query", _query, methods=["GET", "POST"]),
    Route("/admin/state", _call(Sandbox.state)),
    Route("/admin/workers", _workers, methods=_POST),
    Route("/admin/intake/pause", _call(Sandbox.pause_intake), methods=_POST),
    Route("/admin/intake/resume", _call(Sandbox.resume_intake), methods=_POST),
    Route("/admin/tokens/{name}/rotate", _call_named(Sandbox.rotate_token), methods=_POST),
    Route("/admin/jobs/retry-failed", _call(Sandbox.retry_failed), methods=_POST),
    Route("/admin/dead-letters/drain", _call(Sandbox.drain_dead_letters), methods=_POST),
    Route("/admin/faults/clear", _call(Sandbox.clear_faults), methods=_POST),  # before {name}
    Route("/admin/faults/{name}", _call_named(Sandbox.inject_fault), methods=_POST),
]


def create_app(sandbox: Sandbox) -> Starlette:
    """The sandbox's HTTP app, serving `sandbox`."""
    app = Starlette(
        routes=ROUTES,
        exception_handlers={SandboxError: _sandbox_error, HTTPException: _http_error},
    )
    app.state.sandbox = sandbox
    return app
