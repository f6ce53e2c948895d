"""SMTP e-mail notifier: plain text and HTML alternatives of the same words (`text.py`).

Settings: `host`, `port` (default by `security`: 25, 587 or 465), `from` (an address, or
`Name <address>`), optional `username` and `password` (always redacted, even when the
destination forgot to mark it secret), `security` = `starttls` (default) | `tls` | `none`, and
`timeout_s` (default 10). `Destination.address` is the recipient. A password is never sent over
`security=none`: the destination fails instead.

Every message has a `Message-ID` derived from the idempotency key (a retry re-sends the same
ID, so mail clients can drop the duplicate), `Date` = the message's `created_at`, and an
`X-Fireline-Idempotency-Key` header.

SMTP answers are classified like HTTP ones: 4xx replies, refused or dropped connections and
timeouts are retried; 5xx replies (550 recipient refused, 535 bad credentials) and
configuration that cannot work (no STARTTLS, an untrusted certificate) fail for good.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import logging
import math
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message
from fireline.integrations.delivery import MAX_REASON, redact
from fireline.integrations.text import body_lines, change, facts, headline, links, shorten

PASSWORD = "password"
SECURITY_PORTS = {"none": 25, "starttls": 587, "tls": 465}
DEFAULT_SECURITY = "starttls"
DEFAULT_TIMEOUT_S = 10.0
IDEMPOTENCY_HEADER = "X-Fireline-Idempotency-Key"
ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+")
MAX_PORT = 65535
# Errors that retrying cannot fix, checked in order (a certificate error is also a ValueError).
PERMANENT: tuple[tuple[type[Exception], str], ...] = (
    (smtplib.SMTPNotSupportedError, "does not support what is configured"),
    (ssl.SSLCertVerificationError, "has an untrusted certificate"),
    (ValueError, "cannot be used with these settings"),  # a host or password smtplib cannot encode
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """A destination's SMTP settings, checked."""

    host: str
    port: int
    security: str
    sender_name: str
    sender: str
    username: str
    password: str
    timeout_s: float


class EmailNotifier:
    """Sends e-mail through an SMTP server, one connection per message."""

    kind = ChannelKind.EMAIL

    def __init__(self, *, tls_context: ssl.SSLContext | None = None) -> None:
        # Certificates are checked against the system's trust store unless a context is given
        # (tests pass one trusting their throwaway CA).
        self._tls = tls_context or ssl.create_default_context()

    def send(self, message: Message, destination: Destination) -> Delivery:
        """Send one e-mail for `message` to `destination.address`; never raises."""
        destination = dataclasses.replace(destination, secrets=destination.secrets | {PASSWORD})
        secrets = destination.secret_values()
        settings = read_settings(destination)
        if isinstance(settings, str):
            return Delivery.failed(
                _reason(f"e-mail destination {destination.name!r} {settings}", secrets)
            )
        try:
            mail = build_email(message, settings=settings, recipient=destination.address.strip())
        except ValueError as error:
            return Delivery.failed(_reason(f"could not build the e-mail: {error}", secrets))
        delivery = self._deliver(mail, settings=settings, recipient=destination.address.strip())
        delivery = dataclasses.replace(delivery, reason=_reason(delivery.reason, secrets))
        logger.log(
            logging.DEBUG if delivery.outcome is Outcome.SENT else logging.WARNING,
            "email %s %s for %s: %s %s",
            message.kind,
            message.incident.ref,
            destination.name,
            delivery.outcome,
            delivery.reason,
        )
        return delivery

    def _deliver(self, mail: EmailMessage, *, settings: SmtpSettings, recipient: str) -> Delivery:
        where = f"{settings.host}:{settings.port}"
        try:
            smtp = self._connect(settings)
        except (smtplib.SMTPException, OSError, ValueError) as error:
            return _classify(error, where=where)
        try:
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(mail, from_addr=settings.sender, to_addrs=[recipient])
        except (smtplib.SMTPException, OSError, ValueError) as error:
            smtp.close()  # no QUIT: the session is in an unknown state
            return _classify(error, where=where)
        _quit(smtp)
        return Delivery.sent(provider_ref=str(mail["Message-ID"]))

    def _connect(self, settings: SmtpSettings) -> smtplib.SMTP:
        if settings.security == "tls":
            return smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_s, context=self._tls
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
        if settings.security == "starttls":
            try:
                smtp.starttls(context=self._tls)
            except (smtplib.SMTPException, OSError, ValueError):
                smtp.close()
                raise
        return smtp


def read_settings(destination: Destination) -> SmtpSettings | str:
    """Check a destination's SMTP settings; return them, or what is wrong with them."""
    raw = destination.settings
    security = raw.get("security", "").strip().lower() or DEFAULT_SECURITY
    host = raw.get("host", "").strip()
    port = _number(raw.get("port", ""), default=SECURITY_PORTS.get(security, 0))
    timeout_s = _number(raw.get("timeout_s", ""), default=DEFAULT_TIMEOUT_S)
    sender_name, sender = parseaddr(raw.get("from", ""))
    username, password = raw.get("username", "").strip(), raw.get(PASSWORD, "")
    checks = [
        (security not in SECURITY_PORTS, f"has security {security!r}; use none, starttls or tls"),
        (not host, "has no SMTP host"),
        (
            port is None or not 0 < port <= MAX_PORT or port != int(port),
            "has no usable port (1-65535)",
        ),
        (
            timeout_s is None or not 0 < timeout_s < math.inf,
            "has no usable timeout_s (seconds, more than 0)",
        ),
        (ADDRESS.fullmatch(sender) is None, "has no usable `from` address"),
        (
            ADDRESS.fullmatch(destination.address.strip()) is None,
            f"address {destination.address!r} is not an e-mail address",
        ),
        (bool(password) and not username, "has a password but no username"),
        (
            bool(password) and security == "none",
            "would send its SMTP password unencrypted; use security=starttls or tls",
        ),
    ]
    problem = next((text for broken, text in checks if broken), None)
    if problem is not None or port is None or timeout_s is None:
        return problem or "is misconfigured"
    return SmtpSettings(
        host, int(port), security, sender_name, sender, username, password, timeout_s
    )


def build_email(message: Message, *, settings: SmtpSettings, recipient: str) -> EmailMessage:
    """Return the multipart/alternative e-mail (plain text and HTML) for `message`."""
    mail = EmailMessage()
    mail["Subject"] = headline(message)
    mail["From"] = formataddr((settings.sender_name, settings.sender))
    mail["To"] = recipient
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message_id(message, domain=settings.sender.rpartition("@")[2])
    mail[IDEMPOTENCY_HEADER] = message.idempotency_key
    mail.set_content(plain_text(message))
    mail.add_alternative(html_text(message), subtype="html")
    return mail


def message_id(message: Message, *, domain: str) -> str:
    """Return a Message-ID that stays the same across retries of one message."""
    digest = hashlib.sha256(message.idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<fireline.{digest}@{domain}>"


def plain_text(message: Message) -> str:
    """Return the plain-text part: the headline, then the shared body lines."""
    return "\n".join([headline(message), "", *body_lines(message), "", _footer(message)]) + "\n"


def html_text(message: Message) -> str:
    """Return the HTML part: the same words as the plain text, every value escaped."""
    esc = html.escape
    parts = [f"<h2>{esc(headline(message))}</h2>"]
    said = change(message)
    if said:
        parts.append(f"<p><strong>{esc(said)}</strong></p>")
    rows = "".join(
        f'<tr><th align="left">{esc(label)}</th><td>{esc(value)}</td></tr>'
        for label, value in facts(message)
    )
    parts.append(f"<table>{rows}</table>")
    summary = message.incident.summary.strip()
    if summary:
        parts.append(f"<p>{esc(summary).replace(chr(10), '<br>')}</p>")
    anchors = [f'<a href="{esc(url)}">{esc(label)}</a>' for label, url in links(message)]
    if anchors:
        parts.append(f"<p>{' &middot; '.join(anchors)}</p>")
    parts.append(f'<p style="color:#666">{esc(_footer(message))}</p>')
    body = "\n".join(parts)
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>'
    return f"{head}\n{body}\n</body></html>\n"


def _footer(message: Message) -> str:
    words = ["Sent by Fireline"]
    if message.recipient:
        words.append(f"to page {message.recipient}")
    if message.step is not None:
        words.append(f"(escalation step {message.step})")
    return " ".join(words) + "."


def _classify(error: Exception, *, where: str) -> Delivery:
    """Turn an SMTP or socket error into retry (4xx, network, timeout) or failed (5xx, config)."""
    reply = _reply(error)
    if reply is not None:
        code, text = reply
        return _by_code(code, f"SMTP {code} from {where}: {text}")
    for kind, words in PERMANENT:
        if isinstance(error, kind):
            return Delivery.failed(f"SMTP server {where} {words}: {error}")
    if isinstance(error, TimeoutError):
        return Delivery.retry(f"timed out talking to SMTP server {where}")
    return Delivery.retry(f"could not talk to SMTP server {where}: {type(error).__name__}: {error}")


def _reply(error: Exception) -> tuple[int, str] | None:
    """The SMTP reply (code, text) behind `error`, when the server gave one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, text = next(iter(error.recipients.values()))
        return code, f"refusing the recipient: {_decode(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code, _decode(error.smtp_error)
    return None


def _by_code(code: int, reason: str) -> Delivery:
    return Delivery.failed(reason) if code >= 500 else Delivery.retry(reason)


def _decode(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye politely; the message is already accepted, so a failed QUIT does not matter."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _number(text: str, *, default: float) -> float | None:
    if not text.strip():
        return default
    try:
        return float(text)
    except ValueError:
        return None


def _reason(text: str, secrets: tuple[str, ...]) -> str:
    return shorten(redact(text, secrets), MAX_REASON)
