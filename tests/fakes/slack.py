"""A fake Slack incoming webhook: `POST /services/<team>/<bot>/<secret>` taking a JSON message.

Checked like Slack does, and stricter where it catches our bugs: the path must be the hook the
fake issued (else 404 `no_service`, refused); JSON content type and a JSON object (else 400
`invalid_payload`); only known top-level fields; `text` or `blocks` present (else 400
`no_text`); and Block Kit limits — at most 50 blocks, header plain_text ≤ 150, section text
≤ 3000, at most 10 fields of ≤ 2000, context elements ≤ 10 (else 400 `invalid_blocks`).
mrkdwn must be escaped: a `<` or `>` outside a `<url|label>` link, or a bare `&`, is refused.
Slack answers in plain text: 200 `ok`, or the error code.

Vendor states a test can script (answered, not refused): `revoke()` → 404 `no_service` and
`archive_channel()` → 410 `channel_is_archived`. Faults come from `Fake` (`fail_next(429,
retry_after="7")`, `delay_next`).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import PlainTextResponse, Response

from tests.fakes.server import Fake, Handler, Received

TEAM = "T0FIRELINE"
BOT = "B0FIRELINE"
SECRET = "s3cr3tW3bh00kT0k3nXyZ1234"
FIELDS = frozenset(
    "text blocks attachments mrkdwn username icon_emoji icon_url thread_ts "
    "unfurl_links unfurl_media".split()
)
BLOCK_KEYS = {
    "header": {"type", "block_id", "text"},
    "section": {"type", "block_id", "text", "fields", "accessory"},
    "context": {"type", "block_id", "elements"},
    "divider": {"type", "block_id"},
    "actions": {"type", "block_id", "elements"},
}
MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_FIELDS = 10
MAX_FIELD = 2000
MAX_CONTEXT = 10
MAX_TEXT = 40_000
LINK = re.compile(r"<(?:https?://|mailto:)[^\s<>|]+(?:\|[^<>]*)?>")
ENTITY = re.compile(r"&(?:amp|lt|gt);")


class FakeSlack(Fake):
    """Serves one incoming webhook; accepted requests are the messages Slack would post."""

    name = "slack"

    def __init__(self, *, team: str = TEAM, bot: str = BOT, secret: str = SECRET) -> None:
        self.hook = f"/services/{team}/{bot}/{secret}"
        self.secret = secret
        self.revoked = False
        self.archived = False
        super().__init__()

    def routes(self) -> list[tuple[str, list[str], Handler]]:
        """Any `/services/...` path; the handler decides whether it is the issued hook."""
        return [("/services/{team}/{bot}/{secret}", ["POST"], self._post)]

    def webhook_url(self, base_url: str) -> str:
        """The webhook URL Slack would hand out for this hook."""
        return base_url + self.hook

    def revoke(self) -> None:
        """Remove the hook, as an admin can: posts now get 404 `no_service`."""
        self.revoked = True

    def archive_channel(self) -> None:
        """Archive the hook's channel: posts now get 410 `channel_is_archived`."""
        self.archived = True

    def take_refusals(self) -> list[str]:
        """Return and forget the contract breaks seen so far (for tests that provoke one)."""
        with self._changed:
            refused = list(self.problems)
            self.problems.clear()
            return refused

    def _post(self, received: Received) -> Response:
        if received.path != self.hook:
            self.refuse(received, "not the webhook this fake issued")
            return _answer("no_service", 404)
        if self.revoked or self.archived:
            return _answer(*(("no_service", 404) if self.revoked else ("channel_is_archived", 410)))
        broken = _contract_break(received)
        if broken is not None:
            code, problem = broken
            self.refuse(received, problem)
            return _answer(code, 400)
        return _answer("ok", 200)


def _contract_break(received: Received) -> tuple[str, str] | None:
    """Return (Slack's error code, what is wrong) for a request Slack would refuse."""
    body = _json_object(received)
    if body is None:
        return "invalid_payload", "the body is not a JSON object sent as application/json"
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return "invalid_payload", f"unknown fields {unknown}"
    if not body.get("text") and not body.get("blocks"):
        return "no_text", "neither text nor blocks"
    errors = message_errors(body)
    return ("invalid_blocks", "; ".join(errors)) if errors else None


def message_errors(body: dict[str, Any]) -> list[str]:
    """Every Block Kit or mrkdwn rule `body` breaks."""
    errors: list[str] = []
    text = body.get("text")
    if text is not None:
        errors += _text_errors(text, kind="mrkdwn", limit=MAX_TEXT, where="text")
    blocks = body.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return [*errors, f"blocks must be a list of at most {MAX_BLOCKS}"]
    for index, block in enumerate(blocks):
        errors += _block_errors(block, where=f"blocks[{index}]")
    return errors


def _block_errors(block: object, *, where: str) -> list[str]:
    if not isinstance(block, dict) or block.get("type") not in BLOCK_KEYS:
        return [f"{where} is not a known block"]
    kind = block["type"]
    errors = [f"{where}.{key} is not a {kind} field" for key in set(block) - BLOCK_KEYS[kind]]
    if kind == "header":
        errors += _object_errors(
            block.get("text"), only="plain_text", limit=MAX_HEADER, where=where
        )
    elif kind == "section":
        errors += _section_errors(block, where=where)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 0 < len(elements) <= MAX_CONTEXT:
            return [*errors, f"{where}.elements must hold 1 to {MAX_CONTEXT} elements"]
        for i, element in enumerate(elements):
            errors += _object_errors(element, limit=MAX_SECTION, where=f"{where}.elements[{i}]")
    return errors


def _section_errors(block: dict[str, Any], *, where: str) -> list[str]:
    if "text" not in block and "fields" not in block:
        return [f"{where} has neither text nor fields"]
    errors = []
    if "text" in block:
        errors += _object_errors(block["text"], limit=MAX_SECTION, where=f"{where}.text")
    if "fields" in block:
        fields = block["fields"]
        if not isinstance(fields, list) or not 0 < len(fields) <= MAX_FIELDS:
            return [*errors, f"{where}.fields must hold 1 to {MAX_FIELDS} text objects"]
        for i, field in enumerate(fields):
            errors += _object_errors(field, limit=MAX_FIELD, where=f"{where}.fields[{i}]")
    return errors


def _object_errors(value: object, *, limit: int, where: str, only: str | None = None) -> list[str]:
    if not isinstance(value, dict) or value.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{where} is not a text object"]
    kind = value["type"]
    if only is not None and kind != only:
        return [f"{where} must be {only}"]
    allowed = {"type", "text", "emoji"} if kind == "plain_text" else {"type", "text", "verbatim"}
    errors = [f"{where}.{key} is not allowed" for key in set(value) - allowed]
    return errors + _text_errors(value.get("text"), kind=kind, limit=limit, where=where)


def _text_errors(text: object, *, kind: str, limit: int, where: str) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return [f"{where} text must be a non-empty string"]
    if len(text) > limit:
        return [f"{where} text is longer than {limit}"]
    if kind == "mrkdwn":
        bare = ENTITY.sub("", LINK.sub("", text))
        if any(c in bare for c in "<>&"):
            return [f"{where} has unescaped mrkdwn: {text!r}"]
    return []


def _json_object(received: Received) -> dict[str, Any] | None:
    if not received.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        body = received.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _answer(text: str, status: int) -> Response:
    return PlainTextResponse(text, status_code=status)
