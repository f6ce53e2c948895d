"""Generic signed webhook: POST a JSON event to any URL, signed like Stripe (`WebhookNotifier`).

Receivers check `X-Fireline-Signature` with `verify()` (or the recipe in `signing`).
May import `fireline.domain`, `fireline.integrations` helpers, httpx and the stdlib only.
"""

from fireline.integrations.webhook.notify import WebhookNotifier, build_event
from fireline.integrations.webhook.signing import SIGNATURE_HEADER, sign, verify

__all__ = ["SIGNATURE_HEADER", "WebhookNotifier", "build_event", "sign", "verify"]
