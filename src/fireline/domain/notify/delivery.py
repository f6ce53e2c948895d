"""What happened when a message was sent: sent, retry later, or failed for good."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Outcome(StrEnum):
    """Sent; retry (transient: 5xx, 429, timeout, connection); failed (permanent: other 4xx)."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    """The result of one attempt. `reason` is already free of secrets.

    `retry_after` is the provider's own wait (Retry-After) when it gave one; `provider_ref` is
    the provider's id for what it created (a PagerDuty dedup_key, an Opsgenie requestId, ...).
    """

    outcome: Outcome
    reason: str = ""
    retry_after: timedelta | None = None
    provider_ref: str | None = None

    @classmethod
    def sent(cls, provider_ref: str | None = None) -> Delivery:
        """The provider took the message."""
        return cls(Outcome.SENT, provider_ref=provider_ref)

    @classmethod
    def retry(cls, reason: str, after: timedelta | None = None) -> Delivery:
        """A transient failure: try again (after `after` when the provider said so)."""
        return cls(Outcome.RETRY, reason=reason, retry_after=after)

    @classmethod
    def failed(cls, reason: str) -> Delivery:
        """A permanent failure: retrying the same request cannot succeed."""
        return cls(Outcome.FAILED, reason=reason)
