"""An instant query through the Prometheus HTTP API (`GET /api/v1/query`)."""

from __future__ import annotations

import math

import httpx

from fireline.domain.automation import ActionResult


def instant(client: httpx.Client, *, base_url: str, query: str) -> ActionResult:
    """Run `query` now; the result's value is the first sample's (None for an empty vector)."""
    url = f"{base_url.rstrip('/')}/api/v1/query"
    try:
        response = client.get(url, params={"query": query})
        body = response.json()
    except httpx.HTTPError as error:
        return ActionResult.failed(f"query {query!r} failed: {error}", retryable=True)
    except ValueError:
        return ActionResult.failed(f"query {query!r}: the answer is not JSON", retryable=True)
    if response.status_code != 200 or body.get("status") != "success":
        said = body.get("error") if isinstance(body, dict) else None
        return ActionResult.failed(
            f"query {query!r} → {response.status_code} {said or response.text.strip()}",
            retryable=response.status_code >= 500,
        )
    return _value(query, body.get("data") or {})


def _value(query: str, data: dict[str, object]) -> ActionResult:
    result = data.get("result")
    if data.get("resultType") == "scalar" and isinstance(result, list):
        result = [{"value": result}]
    if not isinstance(result, list) or not result:
        return ActionResult.done(f"{query} → no data", value=None)
    try:
        value = float(result[0]["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return ActionResult.failed(f"query {query!r}: the answer has no sample value")
    if math.isnan(value):
        return ActionResult.done(f"{query} → NaN", value=None)
    return ActionResult.done(f"{query} → {value:g}", value=value)
