"""A fake SMTP server: aiosmtpd on 127.0.0.1 at a free port, checking what Fireline sends.

    with FakeSmtp(tls=LoopbackTls(), credentials=("fireline", "pw")) as smtp:
        ...  # point the notifier at smtp.host / smtp.port
        (mail,) = smtp.take()

Security modes as a real relay offers them: `security="none"` (plain), `"starttls"` (STARTTLS
required before MAIL) or `"tls"` (implicit TLS from the first byte), using the certificate of a
`tests.support.tls.LoopbackTls`. With `credentials`, AUTH is required (and only offered after
TLS, as aiosmtpd does by default); a wrong password gets `535 5.7.8`.

Every message must be what the notifier promises: envelope sender and recipient equal to the
`From` / `To` headers, `Subject`, `Date`, `Message-ID` and `X-Fireline-Idempotency-Key`
headers, and a multipart/alternative body with a text/plain and a text/html part. A message
that breaks this is answered `554 5.6.0` and refused. Scripted answers: `fail_next("451 4.3.0
Try again later", at="DATA")` (or at `MAIL` / `RCPT`) and `delay_next(seconds)` (holds DATA's
answer). Leaving the block fails on refused messages, messages nobody took, or scripted
answers nobody triggered (as `Fake.check_clean` does for HTTP fakes).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.tls import LoopbackTls

HOST = "127.0.0.1"
TAKE_TIMEOUT_S = 10.0
REQUIRED_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "X-Fireline-Idempotency-Key")
OFF_CONTRACT = "554 5.6.0 Message refused by the fake: off contract"


@dataclass(frozen=True)
class Mail:
    """One message as the fake accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, content_type: str) -> str:
        """Return the decoded text (newlines as \\n) of the alternative with `content_type`."""
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert found is not None
        assert found.get_content_type() == content_type
        content = found.get_content()
        assert isinstance(content, str)
        return content.replace("\r\n", "\n")


@dataclass(frozen=True)
class _Script:
    stage: str  # MAIL, RCPT or DATA
    reply: str
    delay_s: float = 0.0


class _Controller(Controller):
    """aiosmtpd's Controller, bound to port 0: it probes the port it was given, so learn the
    real one from the listening socket before that probe."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class FakeSmtp:
    """An SMTP relay on loopback that records what it accepts and refuses what is off contract."""

    name = "smtp"

    def __init__(
        self,
        *,
        security: str = "none",
        tls: LoopbackTls | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        if security != "none" and tls is None:
            raise ValueError("starttls and tls need a LoopbackTls")
        self.security = security
        self.credentials = credentials
        self.host = HOST
        self.port = 0
        self.sessions = 0  # MAIL commands seen, accepted or not
        self.logins = 0  # successful AUTH exchanges
        self.problems: list[str] = []
        self._tls = tls
        self._accepted: deque[Mail] = deque()
        self._scripts: deque[_Script] = deque()
        self._changed = threading.Condition()
        self._controller: _Controller | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeSmtp:
        options: dict[str, Any] = {"hostname": HOST, "port": 0, "server_hostname": "fake-smtp"}
        if self._tls is not None and self.security == "starttls":
            options |= {"tls_context": self._tls.server_context(), "require_starttls": True}
        if self._tls is not None and self.security == "tls":
            options["ssl_context"] = self._tls.server_context()
        if self.credentials is not None:
            # aiosmtpd counts only STARTTLS as TLS, so over implicit TLS it must be told AUTH is
            # fine, and then cannot also require it without warning; `logins` shows it was used.
            implicit = self.security == "tls"
            options |= {
                "authenticator": self._authenticate,
                "auth_required": not implicit,
                "auth_require_tls": not implicit,
            }
        self._controller = _Controller(_Handler(self), **options)
        self._controller.start()
        self.port = self._controller.port
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._controller is not None:
            self._controller.stop()
        if kind is None:
            self.check_clean()

    # --- scripting -------------------------------------------------------------------------
    def fail_next(self, reply: str, *, at: str = "DATA") -> None:
        """Answer the next `at` command (MAIL, RCPT or DATA) with `reply`, e.g. "550 5.1.1 ..."."""
        self._scripts.append(_Script(stage=at, reply=reply))

    def delay_next(self, seconds: float) -> None:
        """Hold the next DATA answer for `seconds` (provokes client timeouts), then say 451."""
        self._scripts.append(_Script(stage="DATA", reply="451 4.4.2 Timed out", delay_s=seconds))

    # --- reading ---------------------------------------------------------------------------
    def take(self, count: int = 1, *, timeout_s: float = TAKE_TIMEOUT_S) -> list[Mail]:
        """Wait for `count` accepted messages and consume them, oldest first."""
        with self._changed:
            arrived = self._changed.wait_for(
                lambda: len(self._accepted) >= count or bool(self.problems), timeout_s
            )
            if self.problems:
                raise AssertionError(f"{self.name} refused messages: {self.problems}")
            if not arrived:
                raise AssertionError(f"{self.name} got {len(self._accepted)} of {count} messages")
            return [self._accepted.popleft() for _ in range(count)]

    def take_refusals(self) -> list[str]:
        """Return and forget the contract breaks seen so far (for tests that provoke one)."""
        with self._changed:
            refused = list(self.problems)
            self.problems.clear()
            return refused

    def check_clean(self) -> None:
        """Fail on refused messages, messages nobody took, or scripts nothing triggered."""
        problems = list(self.problems)
        if self._accepted:
            problems.append(f"{len(self._accepted)} message(s) nobody took")
        if self._scripts:
            problems.append(f"scripted answers never used: {list(self._scripts)}")
        if problems:
            raise AssertionError(f"{self.name}: {problems}")

    # --- called from the server's thread ---------------------------------------------------
    def scripted(self, stage: str) -> _Script | None:
        """Pop the next scripted answer when it is for `stage`."""
        with self._changed:
            if self._scripts and self._scripts[0].stage == stage:
                return self._scripts.popleft()
            return None

    def accept(self, envelope: Envelope) -> str:
        """Check one message; record it and say 250, or refuse it and say 554."""
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        mail = Mail(str(envelope.mail_from), list(envelope.rcpt_tos), message)
        problems = mail_problems(mail)
        with self._changed:
            if problems:
                self.problems.append("; ".join(problems))
            else:
                self._accepted.append(mail)
            self._changed.notify_all()
        return OFF_CONTRACT if problems else "250 2.0.0 OK: queued"

    def _authenticate(
        self, _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
    ) -> AuthResult:
        assert self.credentials is not None
        given = (
            (data.login.decode(), data.password.decode())
            if isinstance(data, LoginPassword)
            else None
        )
        if given == self.credentials:
            self.logins += 1
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class _Handler:
    """aiosmtpd hooks: apply scripted answers, then record MAIL / RCPT / DATA."""

    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_MAIL(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.fake.sessions += 1
        script = self.fake.scripted("MAIL")
        if script is not None:
            return script.reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        _server: SMTP,
        _session: Session,
        envelope: Envelope,
        address: str,
        _options: list[str],
    ) -> str:
        script = self.fake.scripted("RCPT")
        if script is not None:
            return script.reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        script = self.fake.scripted("DATA")
        if script is not None:
            await asyncio.sleep(script.delay_s)
            return script.reply
        return self.fake.accept(envelope)


def mail_problems(mail: Mail) -> list[str]:
    """Every promise of the e-mail notifier that `mail` breaks."""
    message = mail.message
    problems = [f"no {name} header" for name in REQUIRED_HEADERS if name not in message]
    if parseaddr(str(message.get("From", "")))[1] != mail.mail_from:
        problems.append(f"envelope sender {mail.mail_from!r} is not the From header")
    if [parseaddr(str(message.get("To", "")))[1]] != mail.rcpt_tos:
        problems.append(f"envelope recipients {mail.rcpt_tos} are not the To header")
    if message.get_content_type() != "multipart/alternative":
        problems.append(f"content type {message.get_content_type()}, not multipart/alternative")
    kinds = sorted(part.get_content_type() for part in message.iter_parts())
    if kinds != ["text/html", "text/plain"]:
        problems.append(f"alternatives {kinds}, not text/plain and text/html")
    return problems
