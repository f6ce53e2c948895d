"""The words every human-facing channel uses, so Slack, e-mail, SMS and voice say the same things.

`headline()` is the one-line subject ("[SEV2] INC-42 triggered: Queue saturated (job-queue)");
`body_lines()` is what follows it: who changed what, then severity, service, status, regions,
summary and the runbook and incident links. Channels format these (mrkdwn, HTML, a short text)
but do not invent their own wording.

Who changed the incident comes from `Message.details`: `details["actor"]` names who
acknowledged or resolved it and `details["note"]` says why, when the sender knows.
Links are only ever http(s) URLs (`link()`), so a `javascript:` runbook never becomes a link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fireline.domain.notify.message import Message, MessageKind

ACTOR = "actor"
NOTE = "note"
MAX_HEADLINE = 250
VERBS = {
    MessageKind.TRIGGER: "triggered",
    MessageKind.ACKNOWLEDGE: "acknowledged",
    MessageKind.RESOLVE: "resolved",
    MessageKind.TEST: "test notification",
}
TEST_NOTICE = "This is a test notification from Fireline: no action is needed."


def headline(message: Message) -> str:
    """Return the one-line subject: "[SEV2] INC-42 triggered: Queue saturated (job-queue)"."""
    incident = message.incident
    service = f" ({one_line(incident.service)})" if incident.service.strip() else ""
    text = (
        f"[{incident.severity}] {one_line(incident.ref)} {VERBS[message.kind]}: "
        f"{one_line(incident.title)}{service}"
    )
    return shorten(text, MAX_HEADLINE)


def change(message: Message) -> str | None:
    """Say who changed the incident ("Acknowledged by alice: on it"), or None for a page."""
    if message.kind is MessageKind.TEST:
        return TEST_NOTICE
    if message.kind is MessageKind.TRIGGER:
        return None
    text = VERBS[message.kind].capitalize()
    actor = one_line(message.details.get(ACTOR, ""))
    note = one_line(message.details.get(NOTE, ""))
    if actor:
        text += f" by {actor}"
    return f"{text}: {note}" if note else f"{text}."


def facts(message: Message) -> list[tuple[str, str]]:
    """Return the (label, value) pairs every channel shows: severity, service, status, regions."""
    incident = message.incident
    pairs = [
        ("Severity", str(incident.severity)),
        ("Service", one_line(incident.service) or "-"),
        ("Status", one_line(incident.status) or "-"),
    ]
    if incident.regions:
        pairs.append(("Regions", ", ".join(one_line(r) for r in incident.regions)))
    return pairs


def links(message: Message) -> list[tuple[str, str]]:
    """Return the (label, url) pairs worth following: the runbook and the incident."""
    incident = message.incident
    candidates = (
        ("Runbook", incident.runbook_url),
        (f"Incident {one_line(incident.ref)}", incident.incident_url),
    )
    return [(label, url) for label, raw in candidates if (url := link(raw)) is not None]


def body_lines(message: Message) -> list[str]:
    """Return the plain-text lines under the headline: change, facts, summary, then links."""
    lines: list[str] = []
    said = change(message)
    if said:
        lines.append(said)
    lines.extend(f"{label}: {value}" for label, value in facts(message))
    summary = message.incident.summary.strip()
    if summary:
        lines.append(f"Summary: {summary}")
    lines.extend(f"{label}: {url}" for label, url in links(message))
    return lines


def link(url: str | None) -> str | None:
    """Return `url` when it is an absolute http(s) URL without spaces, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return None if any(c.isspace() for c in url) else url


def one_line(text: str) -> str:
    """Collapse all whitespace (newlines too) to single spaces, so a value fits on one line."""
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
