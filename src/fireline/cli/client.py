"""A small client of Fireline's HTTP API, turning problem+json into exit codes and hints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from fireline.cli.output import Exit

DEFAULT_SERVER = "http://127.0.0.1:8080"

_EXIT_BY_STATUS = {401: Exit.AUTH, 403: Exit.AUTH, 404: Exit.NOT_FOUND}
_HINTS = {
    401: "create a token with `fireline token create --name NAME --role responder` and pass "
    "it with --token or FIRELINE_TOKEN",
    403: "ask an admin for a token with a stronger role",
    409: "show the incident again (`fireline incident show REF`) and retry on its current state",
}
_UNREACHABLE_HINT = (
    "start it with `make run` or `fireline serve`, or pass --server / FIRELINE_SERVER"
)


@dataclass
class ApiError(Exception):
    """The server refused a request, or could not be reached."""

    message: str
    exit_code: Exit
    hint: str | None = None
    field_errors: tuple[str, ...] = ()


class ApiClient:
    """Calls the API of one server with one token."""

    def __init__(self, *, server: str, token: str | None, timeout: float = 60.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._server = server.rstrip("/")
        self._http = httpx.Client(base_url=self._server, headers=headers, timeout=timeout)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """Send one request and return its decoded JSON body, or raise ApiError."""
        try:
            response = self._http.request(method, path, json=body, params=params)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise ApiError(
                f"cannot reach {self._server}: {error}", Exit.UNAVAILABLE, hint=_UNREACHABLE_HINT
            ) from error
        if not response.is_success:
            raise _error_of(response)
        try:
            return response.json()
        except ValueError as error:
            # Something answered, but not Fireline (a proxy's login page, another service).
            raise ApiError(
                f"{self._server} answered {method} {path} with something other than JSON; "
                "is it a Fireline server?",
                Exit.UNAVAILABLE,
                hint=_UNREACHABLE_HINT,
            ) from error

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()


def _error_of(response: httpx.Response) -> ApiError:
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        problem = {"detail": response.text[:500]}
    status = response.status_code
    fields = tuple(f"{e.get('field')}: {e.get('message')}" for e in problem.get("errors") or [])
    if fields:
        # The detail repeats the field errors in one long line; they are listed one per line.
        detail = "invalid input:"
    else:
        detail = problem.get("detail") or problem.get("title") or response.reason_phrase
    if status >= 500:
        code = Exit.UNAVAILABLE
    else:
        code = _EXIT_BY_STATUS.get(status, Exit.REJECTED)
    return ApiError(f"{status} {detail}", code, _HINTS.get(status), fields)
