"""A fake Twilio REST API: `Messages.json` (SMS) and `Calls.json` (voice) for one account.

`POST /2010-04-01/Accounts/<sid>/Messages.json|Calls.json`, checked as Twilio does: HTTP basic
auth `sid:token` matching the path's account (else 401, code 20003); form-encoded fields, each
given once, and only the ones Fireline uses (To, From, Body for SMS; To, From, Twiml for calls);
`To` and `From` in E.164 (21211 / 21212); `From` one of the account's numbers (21606 / 21210);
`Body` present (21602) and ≤ 1600 characters (21617); `Twiml` ≤ 4000 characters and a
`<Response>` document (12100). A broken request is answered with Twilio's JSON error
`{code, message, more_info, status}` and refused.

Like Twilio's test credentials, `To: +15005550001` is a well-formed number Twilio calls invalid
(400, code 21211) and is answered without being refused. Good requests get 201 and the created
resource, whose `sid` is `SM…` or `CA…`.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from typing import Any

from starlette.responses import JSONResponse, Response

from tests.fakes.server import Fake, Handler, Received

ACCOUNT_SID = "AC" + "f1e2" * 8
AUTH_TOKEN = "tw-auth-token-0123456789abcdef"
FROM_NUMBER = "+14155550100"
INVALID_NUMBER = "+15005550001"
API = "/2010-04-01/Accounts/{sid}"
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
FIELDS = {"Messages.json": ("To", "From", "Body"), "Calls.json": ("To", "From", "Twiml")}
MAX_BODY = 1600
MAX_TWIML = 4000


class TwilioError(Exception):
    """A Twilio error answer: HTTP status, Twilio code and message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> Response:
        """The JSON body Twilio sends with an error."""
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        return JSONResponse(body, status_code=self.status)


class FakeTwilio(Fake):
    """One Twilio account with one sending number."""

    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        numbers: tuple[str, ...] = (FROM_NUMBER,),
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.numbers = numbers
        self.created = 0
        super().__init__()

    def routes(self) -> list[tuple[str, list[str], Handler]]:
        """The two create endpoints a notifier uses."""
        return [
            (f"{API}/Messages.json", ["POST"], self._messages),
            (f"{API}/Calls.json", ["POST"], self._calls),
        ]

    def take_refusals(self) -> list[str]:
        """Return and forget the contract breaks seen so far (for tests that provoke one)."""
        with self._changed:
            refused = list(self.problems)
            self.problems.clear()
            return refused

    def _messages(self, received: Received) -> Response:
        return self._create(received, resource="Messages.json", prefix="SM")

    def _calls(self, received: Received) -> Response:
        return self._create(received, resource="Calls.json", prefix="CA")

    def _create(self, received: Received, *, resource: str, prefix: str) -> Response:
        try:
            form = self._checked(received, resource=resource)
        except TwilioError as error:
            self.refuse(received, f"{error.code} {error.message}")
            return error.response()
        if form["To"] == INVALID_NUMBER:
            message = f"The 'To' number {form['To']} is not a valid phone number."
            return TwilioError(400, 21211, message).response()
        self.created += 1
        resource_body: dict[str, Any] = {
            "sid": f"{prefix}{self.created:032x}",
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form["From"],
            "status": "queued",
        }
        if "Body" in form:
            resource_body |= {"body": form["Body"], "direction": "outbound-api"}
        return JSONResponse(resource_body, status_code=201)

    def _checked(self, received: Received, *, resource: str) -> dict[str, str]:
        """Return the form of a request Twilio would take, or raise Twilio's error for it."""
        self._check_auth(received)
        if not received.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            raise TwilioError(400, 20001, "Content-Type must be application/x-www-form-urlencoded")
        raw = received.form()
        expected = FIELDS[resource]
        if set(raw) != set(expected) or any(len(values) != 1 for values in raw.values()):
            raise TwilioError(400, 20001, f"expected exactly {expected} once each, got {raw}")
        form = {name: values[0] for name, values in raw.items()}
        for field, code in (("To", 21211), ("From", 21212)):
            if E164.fullmatch(form[field]) is None:
                raise TwilioError(400, code, f"The '{field}' number {form[field]} is not valid.")
        if form["From"] not in self.numbers:
            code = 21606 if resource == "Messages.json" else 21210
            raise TwilioError(400, code, f"The From number {form['From']} is not yours.")
        if resource == "Messages.json":
            _check_body(form["Body"])
        else:
            _check_twiml(form["Twiml"])
        return form

    def _check_auth(self, received: Received) -> None:
        scheme, _, encoded = received.headers.get("authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:
            user = password = ""
        path_sid = received.path.split("/")[3]
        if scheme != "Basic" or (user, password) != (self.account_sid, self.auth_token):
            raise TwilioError(401, 20003, "Authenticate")
        if path_sid != user:
            raise TwilioError(404, 20404, f"The requested resource {received.path} was not found")


def _check_body(body: str) -> None:
    if not body.strip():
        raise TwilioError(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY:
        raise TwilioError(400, 21617, "The concatenated message body exceeds the 1600 limit.")


def _check_twiml(twiml: str) -> None:
    if len(twiml) > MAX_TWIML:
        raise TwilioError(400, 21219, "Twiml is longer than 4000 characters.")
    try:
        root = ET.fromstring(twiml)  # our own test input, not untrusted XML
    except ET.ParseError as error:
        raise TwilioError(400, 12100, f"Document parse failure: {error}") from error
    if root.tag != "Response" or not [child for child in root if child.tag == "Say"]:
        raise TwilioError(400, 12100, "Twiml must be a <Response> with <Say>")
