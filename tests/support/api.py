"""An HTTP client of the app under test that knows a token for each access role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Role = str


class Api:
    """Sends requests as a given role (`as_="responder"`), or with no token at all."""

    def __init__(self, http: Any, token_for: Callable[[Role], str]) -> None:
        self.http = http
        self._token_for = token_for

    def request(
        self, method: str, path: str, *, as_: Role | None = "commander", **kwargs: Any
    ) -> Any:
        """Send one request, authenticated as role `as_` (None: no token)."""
        headers = dict(kwargs.pop("headers", None) or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self._token_for(as_)}"
        return self.http.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET `path`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        """POST to `path`."""
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        """PATCH `path`."""
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        """PUT `path`."""
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        """DELETE `path`."""
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request that must succeed; return its JSON body."""
        response = self.request(method, path, **kwargs)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()
