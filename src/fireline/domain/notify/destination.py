"""Where a message goes: a channel kind plus the settings (some secret) that reach it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChannelKind(StrEnum):
    """The systems Fireline can notify."""

    PAGERDUTY = "pagerduty"
    OPSGENIE = "opsgenie"
    SLACK = "slack"
    EMAIL = "email"
    WEBHOOK = "webhook"
    SMS = "sms"
    VOICE = "voice"


@dataclass(frozen=True, slots=True)
class Destination:
    """A resolved target: `address` is who receives it (an e-mail address, a phone number in
    E.164, or "" when the channel settings alone say where); `settings` are the channel's
    options (URLs, keys); names in `secrets` must never appear in logs or errors.
    """

    kind: ChannelKind
    name: str
    address: str = ""
    settings: dict[str, str] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()

    def secret_values(self) -> tuple[str, ...]:
        """Return the secret setting values, longest first, for redaction."""
        values = (v for k, v in self.settings.items() if k in self.secrets and v)
        return tuple(sorted(values, key=len, reverse=True))
