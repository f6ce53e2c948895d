"""Slack incoming-webhook notifier: one Block Kit message per Fireline message.

Settings: `webhook_url` (`https://hooks.slack.com/services/T…/B…/<secret>`). The URL is the
credential, so it is always treated as secret, even when the destination forgot to mark it:
the whole URL, its normalized form and its last path segment are redacted from every reason.

The body carries `text` (the headline, which Slack shows in notifications and where blocks
cannot render) and `blocks`: a header, who changed what (acknowledge / resolve), the facts as
section fields, the summary, and the runbook and incident as mrkdwn links (not buttons: a
button on a webhook without an interactivity URL shows the reader an error).

Slack answers 200 `ok`; its errors are plain-text codes (400 `invalid_payload`, `no_text`,
403 `invalid_token`, 404 `no_service`, 410 `channel_is_archived`) and 429 with Retry-After,
classified like any HTTP answer by `fireline.integrations.delivery`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import httpx

from fireline.domain.notify.delivery import Delivery, Outcome
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.notify.message import Message
from fireline.integrations.delivery import MAX_REASON, classify, post, redact
from fireline.integrations.text import change, facts, headline, link, links, one_line, shorten

WEBHOOK_URL = "webhook_url"
MAX_HEADER = 150  # Block Kit: header text
MAX_SECTION = 3000  # Block Kit: section text
MAX_FIELD = 2000  # Block Kit: each section field
MAX_LINK = 1400  # two links must fit one section
MIN_TOKEN = 8  # a path segment shorter than this is not the webhook's secret

logger = logging.getLogger(__name__)


class SlackNotifier:
    """Posts messages to Slack incoming webhooks."""

    kind = ChannelKind.SLACK

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def send(self, message: Message, destination: Destination) -> Delivery:
        """POST one Block Kit message to the destination's webhook; never raises."""
        url = destination.settings.get(WEBHOOK_URL, "").strip()
        destination = _guarded(destination, url)
        if link(url) is None:
            return Delivery.failed(
                f"Slack destination {destination.name!r} has no usable webhook_url "
                "(an absolute http(s) URL)"
            )
        try:
            answer = post(self._client, url, destination=destination, json=build_payload(message))
        except (httpx.InvalidURL, ValueError) as error:  # a URL httpx cannot even encode
            return _unsendable(error, destination)
        delivery = (
            answer if isinstance(answer, Delivery) else classify(answer, destination=destination)
        )
        logger.log(
            logging.DEBUG if delivery.outcome is Outcome.SENT else logging.WARNING,
            "slack %s %s for %s: %s %s",
            message.kind,
            message.incident.ref,
            destination.name,
            delivery.outcome,
            delivery.reason,
        )
        return delivery


def build_payload(message: Message) -> dict[str, Any]:
    """Return the webhook body: `text` (the headline) plus Block Kit `blocks`."""
    title = headline(message)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": shorten(title, MAX_HEADER)}}
    ]
    said = change(message)
    if said:
        blocks.append(_section(escape(said)))
    fields = [
        _mrkdwn(_clip(f"*{label}*\n{escape(value)}", MAX_FIELD)) for label, value in facts(message)
    ]
    blocks.append({"type": "section", "fields": fields})
    summary = message.incident.summary.strip()
    if summary:
        blocks.append(_section(escape(summary)))
    targets = [
        f"<{_href(url)}|{escape(label)}>"
        for label, url in links(message)
        if len(_href(url)) <= MAX_LINK  # a cut link would break the section's markup
    ]
    if targets:
        blocks.append(_section("  ·  ".join(targets)))
    context = _context(message)
    if context:
        blocks.append({"type": "context", "elements": [_mrkdwn(escape(context))]})
    return {"text": escape(title), "blocks": blocks}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to (&, <, >)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(_clip(text, MAX_SECTION))}


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _context(message: Message) -> str:
    parts = []
    if message.recipient:
        parts.append(f"Paging {one_line(message.recipient)}")
    if message.step is not None:
        parts.append(f"escalation step {message.step}")
    return " · ".join(parts)


def _href(url: str) -> str:
    # Inside <url|label> a '|' or '>' would end the URL early; '&' is escaped as everywhere.
    return url.replace("&", "&amp;").replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")


def _clip(escaped: str, limit: int) -> str:
    """Cut already-escaped text without leaving half an entity (`&am…`) at the end."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&", max(0, len(cut) - 5))
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _guarded(destination: Destination, url: str) -> Destination:
    """Mark the webhook URL (and the forms it may be printed in) secret, whatever was configured."""
    settings = dict(destination.settings)
    extra = {WEBHOOK_URL}
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is not None:
        token = parsed.path.rstrip("/").rsplit("/", 1)[-1]
        derived = {"_webhook_url_normalized": str(parsed), "_webhook_url_token": token}
        for name, value in derived.items():
            if len(value) >= MIN_TOKEN:
                settings[name] = value
                extra.add(name)
    return dataclasses.replace(destination, settings=settings, secrets=destination.secrets | extra)


def _unsendable(error: Exception, destination: Destination) -> Delivery:
    """Fail a request httpx would not build (a URL or header it cannot encode): no retry helps."""
    reason = f"cannot send to {destination.name!r}: {type(error).__name__}: {error}"
    return Delivery.failed(shorten(redact(reason, destination.secret_values()), MAX_REASON))
