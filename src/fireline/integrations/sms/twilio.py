"""Twilio (and Twilio-compatible) SMS and voice notifier.

SMS: `POST {url}/2010-04-01/Accounts/{account_sid}/Messages.json`, form-encoded `To`, `From`,
`Body`; voice: `POST .../Calls.json` with `To`, `From`, `Twiml` (`<Response><Say>…</Say>
</Response>`). Both use HTTP basic auth `account_sid:auth_token` and answer 201 with a JSON
resource whose `sid` becomes the delivery's `provider_ref`.

Settings: `account_sid`, `auth_token` (always redacted, even when the destination forgot to
mark it secret), `from` (E.164) and `url` (default `https://api.twilio.com`; tests point it at
a loopback fake). `Destination.address` is the number to page, in E.164 (`+` then 8-15 digits);
anything else fails at once rather than being retried.

Errors are JSON `{code, message, more_info, status}`: 429 (code 20429) and 5xx are retried,
other 4xx fail (400 with code 21211 is an invalid `To`; 401 with 20003 is a wrong token).
Pages are short: an SMS is the headline, who changed what and the links (≤ 1600 characters,
Twilio's limit); a call says the headline twice and no URLs.

Other providers plug in as described in `fireline.integrations.sms`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any
from xml.sax.saxutils import escape

import httpx

from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message
from fireline.integrations.delivery import MAX_REASON, classify, post, redact
from fireline.integrations.text import VERBS, change, headline, link, links, one_line, shorten

DEFAULT_URL = "https://api.twilio.com"
API_VERSION = "2010-04-01"
ACCOUNT_SID = "account_sid"
AUTH_TOKEN = "auth_token"
FROM = "from"
URL = "url"
MAX_SMS = 1600  # Twilio refuses longer bodies (error 21617)
MAX_SPEECH = 1000  # well under the 4000-character Twiml limit, and short enough to hear out
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
SID = re.compile(r"[A-Za-z0-9]{1,64}")
RESOURCES = {ChannelKind.SMS: "Messages.json", ChannelKind.VOICE: "Calls.json"}

logger = logging.getLogger(__name__)


class TwilioNotifier:
    """Sends SMS or places voice calls through Twilio's REST API (one class per `kind`)."""

    def __init__(self, client: httpx.Client, *, kind: ChannelKind) -> None:
        if kind not in RESOURCES:
            raise ValueError(f"Twilio sends sms or voice, not {kind}")
        self.kind = kind
        self._client = client

    def send(self, message: Message, destination: Destination) -> Delivery:
        """Create one Twilio Message (SMS) or Call (voice) for `message`; never raises."""
        destination = dataclasses.replace(destination, secrets=destination.secrets | {AUTH_TOKEN})
        problem = _misconfigured(destination)
        if problem:
            reason = f"{self.kind} destination {destination.name!r} {problem}"
            return Delivery.failed(redact(reason, destination.secret_values()))
        settings = destination.settings
        sid = settings[ACCOUNT_SID].strip()
        base = (settings.get(URL) or DEFAULT_URL).strip().rstrip("/")
        url = f"{base}/{API_VERSION}/Accounts/{sid}/{RESOURCES[self.kind]}"
        form = {"To": destination.address.strip(), "From": settings[FROM].strip()}
        if self.kind is ChannelKind.SMS:
            form["Body"] = sms_text(message)
        else:
            form["Twiml"] = twiml(speech(message))
        try:
            answer = post(
                self._client,
                url,
                destination=destination,
                data=form,
                auth=(sid, settings[AUTH_TOKEN]),
            )
        except (httpx.InvalidURL, ValueError) as error:  # a URL httpx cannot even encode
            return _unsendable(error, destination)
        delivery = (
            answer
            if isinstance(answer, Delivery)
            else classify(answer, destination=destination, provider_ref=_sid_of(answer))
        )
        logger.log(
            logging.DEBUG if delivery.outcome is Outcome.SENT else logging.WARNING,
            "twilio %s %s %s for %s: %s %s",
            self.kind,
            message.kind,
            message.incident.ref,
            destination.name,
            delivery.outcome,
            delivery.reason,
        )
        return delivery


class TwilioSmsNotifier(TwilioNotifier):
    """Sends SMS pages through Twilio."""

    def __init__(self, client: httpx.Client) -> None:
        super().__init__(client, kind=ChannelKind.SMS)


class TwilioVoiceNotifier(TwilioNotifier):
    """Places voice-call pages through Twilio."""

    def __init__(self, client: httpx.Client) -> None:
        super().__init__(client, kind=ChannelKind.VOICE)


def sms_text(message: Message) -> str:
    """Return the SMS body: headline, who changed what, then links; at most 1600 characters."""
    lines = [headline(message)]
    said = change(message)
    if said:
        lines.append(said)
    lines.extend(f"{label}: {url}" for label, url in links(message))
    return shorten("\n".join(lines), MAX_SMS)


def speech(message: Message) -> str:
    """Return what a call says: the page in words, without URLs or symbols read aloud."""
    incident = message.incident
    said = change(message) or ""
    service = one_line(incident.service)
    text = (
        f"Fireline page. Severity {incident.severity.rank} incident {one_line(incident.ref)} "
        f"{VERBS[message.kind]}: {one_line(incident.title)}."
        + (f" Service {service}." if service else "")
        + (f" {said}" if said else "")
    )
    return shorten(text, MAX_SPEECH)


def twiml(text: str) -> str:
    """Return TwiML that says `text` twice (XML-escaped)."""
    return f'<Response><Say loop="2">{escape(text)}</Say></Response>'


def is_e164(number: str) -> bool:
    """Tell whether `number` is E.164: `+`, a non-zero digit, then 7 to 14 more digits."""
    return E164.fullmatch(number) is not None


def _misconfigured(destination: Destination) -> str | None:
    """Say what stops a request from ever succeeding, or None when it can be tried."""
    settings = destination.settings
    if SID.fullmatch(settings.get(ACCOUNT_SID, "").strip()) is None:
        return "has no usable account_sid (letters and digits)"
    if not settings.get(AUTH_TOKEN):
        return "has no auth_token"
    if settings.get(URL) and link(settings[URL]) is None:
        return "has no usable url (an absolute http(s) URL)"
    if not is_e164(settings.get(FROM, "").strip()):
        return "has no usable `from` number (E.164, like +14155550100)"
    if not is_e164(destination.address.strip()):
        return f"address {destination.address!r} is not an E.164 number (like +14155550100)"
    return None


def _sid_of(response: httpx.Response) -> str | None:
    """Read `sid` from a 201 resource; None when the body is not that shape."""
    if not response.is_success:
        return None
    try:
        body: Any = response.json()
    except ValueError:
        return None
    sid = body.get("sid") if isinstance(body, dict) else None
    return sid if isinstance(sid, str) and sid else None


def _unsendable(error: Exception, destination: Destination) -> Delivery:
    """Fail a request httpx would not build (a URL or header it cannot encode): no retry helps."""
    reason = f"cannot send to {destination.name!r}: {type(error).__name__}: {error}"
    return Delivery.failed(shorten(redact(reason, destination.secret_values()), MAX_REASON))
