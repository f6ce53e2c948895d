"""SMS and voice pages through a Twilio-compatible API (`TwilioSmsNotifier`, `TwilioVoiceNotifier`).

Another provider plugs in by implementing `fireline.domain.notify.ports.Notifier` with
`kind = ChannelKind.SMS` (or `ChannelKind.VOICE`) in its own module beside `twilio.py`, reading
its settings from `Destination.settings` and the E.164 number from `Destination.address`, and
being registered in the composition root instead of (or beside, for different destinations)
the Twilio one. `sms_text()` and `speech()` keep the wording the same across providers.

May import `fireline.domain`, `fireline.integrations` helpers and httpx only.
"""

from fireline.integrations.sms.twilio import (
    TwilioNotifier,
    TwilioSmsNotifier,
    TwilioVoiceNotifier,
    is_e164,
    sms_text,
    speech,
    twiml,
)

__all__ = [
    "TwilioNotifier",
    "TwilioSmsNotifier",
    "TwilioVoiceNotifier",
    "is_e164",
    "sms_text",
    "speech",
    "twiml",
]
