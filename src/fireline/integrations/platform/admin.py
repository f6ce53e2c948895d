"""One `http` runbook action: a request to the platform's admin API, judged by its status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from fireline.domain.automation import ActionResult


def call(
    client: httpx.Client,
    params: Mapping[str, Any],
    *,
    timeout: timedelta,
    expected: tuple[int, ...] = (),
) -> ActionResult:
    """Send the rendered request; success is an expected status (any 2xx by default)."""
    method, url = str(params["method"]).upper(), str(params["url"])
    try:
        response = client.request(
            method,
            url,
            headers=dict(params.get("headers") or {}),
            json=params.get("json"),
            timeout=timeout.total_seconds(),
        )
    except httpx.TimeoutException:
        return ActionResult.failed(f"{method} {url} timed out", retryable=True)
    except httpx.HTTPError as error:
        return ActionResult.failed(f"{method} {url} failed: {error}", retryable=True)
    said = f"{method} {url} → {response.status_code} {response.text.strip()}"
    ok = response.status_code in expected if expected else response.is_success
    if ok:
        return ActionResult.done(said)
    return ActionResult.failed(said, retryable=response.status_code >= 500)
