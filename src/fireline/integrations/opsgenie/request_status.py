"""Whether Opsgenie did what it accepted: poll `GET /v2/alerts/requests/{requestId}`.

Opsgenie answers create, acknowledge and close with 202 before doing them; only the request
status says whether they worked (an acknowledge of an alert that does not exist is a 202, and
then `isSuccess: false`, "Alert does not exist"). A request not processed yet is a 404, so the
status is asked again after a short wait, a few times; after that it stays unknown.

May import httpx only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import httpx

# Seconds to wait before each poll: at most 1.75 s in all, inside one outbox send.
POLL_DELAYS = (0.0, 0.25, 0.5, 1.0)


@dataclass(frozen=True, slots=True)
class RequestStatus:
    """What Opsgenie says it did with one accepted request."""

    status: str  # Opsgenie's own words ("Created alert", "Alert does not exist"), or ours
    processed: bool = False  # False: still unknown after every poll, or unreadable
    succeeded: bool = False


def poll_request_status(
    client: httpx.Client,
    base_url: str,
    request_id: str,
    *,
    headers: Mapping[str, str],
    delays: Sequence[float] = POLL_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> RequestStatus:
    """Ask for the status of `request_id` until Opsgenie has processed it or the polls run out."""
    url = f"{base_url}/v2/alerts/requests/{quote(request_id, safe='')}"
    for delay in delays:
        if delay > 0:
            sleep(delay)
        try:
            response = client.get(url, headers=dict(headers))
        except httpx.HTTPError as error:
            return RequestStatus(f"its status could not be read ({type(error).__name__})")
        if response.status_code == 404:
            continue  # not processed yet
        if response.status_code != 200:
            return RequestStatus(f"its status answered HTTP {response.status_code}")
        data = _data(response)
        if data is None:
            return RequestStatus("its status was not the documented JSON")
        succeeded = data.get("isSuccess") is True
        return RequestStatus(str(data.get("status") or ""), processed=True, succeeded=succeeded)
    return RequestStatus(f"not processed after {len(delays)} status polls")


def _data(response: httpx.Response) -> dict[str, object] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None
