"""A fake document platform: the admin API that runbook steps call, and a Prometheus query
endpoint answering from values the test sets. Admin calls are taken like any fake's requests;
queries are answered from `values` (Prometheus's JSON shape) without being recorded.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from tests.fakes.server import Fake, Handler, Received

QUERY = "/api/v1/query"
ADMIN = (
    "/admin/workers",
    "/admin/intake/pause",
    "/admin/intake/resume",
    "/admin/jobs/retry-failed",
    "/admin/dead-letters/drain",
)


class FakePlatform(Fake):
    """`values` maps a query (the exact expression) to the value it answers, or None (empty)."""

    name = "platform"
    quiet_paths = frozenset({QUERY})

    def __init__(self) -> None:
        self.values: dict[str, float | None] = {}
        super().__init__()

    def routes(self) -> list[tuple[str, list[str], Handler]]:
        """The admin endpoints and the query endpoint."""
        return [(path, ["POST"], self._admin) for path in ADMIN] + [(QUERY, ["GET"], self._query)]

    def _admin(self, received: Received) -> Response:
        if received.path == "/admin/workers" and not isinstance(received.json().get("count"), int):
            self.refuse(received, "count must be an integer")
            return JSONResponse({"error": "count must be an integer"}, status_code=400)
        return JSONResponse({"ok": True})

    def _query(self, received: Received) -> Response:
        query = received.query.get("query", "")
        if query not in self.values:
            self.refuse(received, f"unexpected query {query!r}")
            return JSONResponse({"status": "error", "errorType": "bad_data", "error": "?"}, 400)
        value = self.values[query]
        result = [] if value is None else [{"metric": {}, "value": [1767603600.0, str(value)]}]
        return JSONResponse(
            {"status": "success", "data": {"resultType": "vector", "result": result}}
        )
