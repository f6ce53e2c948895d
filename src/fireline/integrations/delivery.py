"""What every outbound channel shares: one HTTP attempt, classified, with secrets kept out.

HTTP 2xx is sent; 408, 429 and 5xx are retried (honouring `Retry-After`); any other status
fails for good; timeouts and connection errors are retried. Every reason passes through
`redact()` first, so no key, token or secret URL reaches a log line or the timeline
(Alertmanager's `RedactURL`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from fireline.domain.notify.delivery import Delivery
from fireline.domain.notify.destination import Destination

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_REASON = 300
MAX_RETRY_AFTER = timedelta(hours=1)
RETRIED_STATUSES = frozenset({408, 429})
REDACTED = "<redacted>"


def make_client(*, timeout: httpx.Timeout = TIMEOUT) -> httpx.Client:
    """Return the HTTP client channels share: bounded timeouts, no redirects followed."""
    return httpx.Client(timeout=timeout, follow_redirects=False)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value found in `text` (longest first) with a marker."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def post(
    client: httpx.Client, url: str, *, destination: Destination, **request: Any
) -> httpx.Response | Delivery:
    """POST once; return the response, or a retry Delivery for a timeout or transport error."""
    try:
        return client.post(url, **request)
    except httpx.TimeoutException:
        return Delivery.retry(_clean(f"timed out posting to {url}", destination))
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as error:
        # A URL that can never work: retrying the same request cannot help.
        return Delivery.failed(_clean(f"cannot post to {url}: {error}", destination))
    except httpx.HTTPError as error:
        reason = f"could not reach {url}: {type(error).__name__}: {error}"
        return Delivery.retry(_clean(reason, destination))


def classify(
    response: httpx.Response, *, destination: Destination, provider_ref: str | None = None
) -> Delivery:
    """Turn a provider's HTTP answer into sent, retry (with its Retry-After) or failed."""
    status = response.status_code
    if 200 <= status < 300:
        return Delivery.sent(provider_ref)
    reason = _clean(f"HTTP {status} from {response.request.url}: {response.text}", destination)
    if status in RETRIED_STATUSES or status >= 500:
        return Delivery.retry(reason, after=retry_after(response))
    return Delivery.failed(reason)


def retry_after(response: httpx.Response) -> timedelta | None:
    """Read Retry-After (seconds or an HTTP date, relative to the response's Date header)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    try:
        until = parsedate_to_datetime(value)
        sent = parsedate_to_datetime(response.headers["date"])
    except (KeyError, TypeError, ValueError):
        return None
    wait = until - sent
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def _clean(reason: str, destination: Destination) -> str:
    reason = redact(reason, destination.secret_values())
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"
