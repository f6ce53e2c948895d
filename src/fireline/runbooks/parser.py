"""Parse a runbook file: Markdown with YAML front matter, every problem reported at once.

Field paths in errors count list items from 0, as everywhere in Fireline: `steps[0]` is step 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import yaml

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.labels import Matcher, parse_matcher
from fireline.domain.routing.template import check_template
from fireline.domain.validation import SLUG
from fireline.runbooks.model import (
    APPROVERS,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_STEP_TIMEOUT,
    Action,
    ActionKind,
    AppliesTo,
    Condition,
    RateLimit,
    Runbook,
    Step,
    parse_duration,
)

MAX_TITLE = 200
MAX_STEPS = 100
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_DELIMITER = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_TARGET = re.compile(r"^[a-z][a-z0-9_-]*:\S")
SHELL_STRING = (
    "must be a list of arguments like [kubectl, rollout, status, x], never a shell string"
)

RUNBOOK_KEYS = ("id", "title", "owners", "applies_to", "steps")
STEP_KEYS = ("title", "prose", "action", "auto", "approval", "timeout", "rollback", "rate_limit")
ACTION_KEYS: dict[ActionKind, tuple[str, ...]] = {
    ActionKind.HTTP: ("method", "url", "headers", "json", "expect_status"),
    ActionKind.PROMETHEUS_QUERY: ("query", "condition"),
    ActionKind.WAIT_UNTIL: ("query", "condition", "timeout", "interval"),
    ActionKind.SHELL: ("command",),
    ActionKind.MANUAL: ("instructions",),
    ActionKind.NOTIFY: ("target", "message"),
}

Errors = list[FieldError]
Raw = Mapping[str, Any]


def has_front_matter(text: str) -> bool:
    """Tell whether `text` starts with a `---` line, i.e. means to be a runbook."""
    return _DELIMITER.match(text.removeprefix("\ufeff")) is not None


def split_front_matter(text: str) -> tuple[str, str]:
    """Split a file into its YAML front matter and Markdown body; raise Invalid."""
    text = text.removeprefix("\ufeff")
    start = _DELIMITER.match(text)
    end = _CLOSING.search(text, start.end()) if start is not None else None
    if start is None or end is None:
        raise Invalid(
            [FieldError("front_matter", "the file must start with YAML between two '---' lines")]
        )
    return text[start.end() : end.start()], text[end.end() :].lstrip("\r\n")


def read_id(text: str) -> str | None:
    """Return the `id` in a file's front matter if it has one, however broken the rest is."""
    try:
        front, _ = split_front_matter(text)
        data = yaml.safe_load(front)
    except (Invalid, yaml.YAMLError):
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def parse_runbook(text: str, *, path: str) -> Runbook:
    """Parse and validate one runbook file; raise Invalid listing every bad field."""
    front, body = split_front_matter(text)
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as error:
        raise Invalid([FieldError("front_matter", f"is not valid YAML: {error}")]) from error
    if not isinstance(data, dict):
        raise Invalid([FieldError("front_matter", "must be a mapping of id, title, steps, ...")])
    errors: Errors = []
    _unknown(errors, data, allowed=RUNBOOK_KEYS, where="")
    runbook = Runbook(
        id=_slug(errors, data.get("id"), where="id"),
        title=_text(errors, data, "title", where=""),
        owners=_owners(errors, data.get("owners"), where="owners"),
        applies_to=_applies_to(errors, data.get("applies_to"), where="applies_to"),
        steps=_steps(errors, data.get("steps"), where="steps"),
        body=body,
        path=path,
    )
    if errors:
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        raise Invalid(errors, f"{path} is not a valid runbook: {summary}")
    return runbook


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _unknown(errors: Errors, raw: Raw, *, allowed: tuple[str, ...], where: str) -> None:
    for key in raw:
        if key not in allowed:
            known = ", ".join(allowed)
            errors.append(FieldError(_join(where, str(key)), f"is not a known field ({known})"))


def _text(errors: Errors, raw: Raw, key: str, *, where: str, required: bool = True) -> str:
    value = raw.get(key)
    field = _join(where, key)
    if value is None:
        if required:
            errors.append(FieldError(field, "is required"))
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        errors.append(FieldError(field, "must be a non-empty string"))
        return ""
    if key == "title" and len(value) > MAX_TITLE:
        errors.append(FieldError(field, f"must be at most {MAX_TITLE} characters"))
    return value.strip() if key == "title" else value


def _slug(errors: Errors, value: object, *, where: str) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        errors.append(
            FieldError(where, "must be a slug of lowercase letters, digits and '-' (max 64)")
        )
        return ""
    return value


def _strings(errors: Errors, value: object, *, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        errors.append(FieldError(where, "must be a list of strings"))
        return ()
    good = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item.strip():
            good.append(item.strip())
        else:
            errors.append(FieldError(f"{where}[{index}]", "must be a non-empty string"))
    return tuple(good)


def _owners(errors: Errors, value: object, *, where: str) -> tuple[str, ...]:
    owners = _strings(errors, value, where=where)
    if value is None or (isinstance(value, list) and not value):
        errors.append(FieldError(where, "name at least one owner (a team or a person)"))
    return owners


def _applies_to(errors: Errors, value: object, *, where: str) -> AppliesTo:
    if value is None:
        return AppliesTo()
    if not isinstance(value, dict):
        errors.append(FieldError(where, "must be a mapping with alertnames and/or matchers"))
        return AppliesTo()
    _unknown(errors, value, allowed=("alertnames", "matchers"), where=where)
    names = _strings(errors, value.get("alertnames"), where=f"{where}.alertnames")
    matchers: list[Matcher] = []
    raw = value.get("matchers")
    _strings(errors, raw, where=f"{where}.matchers")  # reports entries that are not strings
    for index, text in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(text, str) or not text.strip():
            continue
        try:
            matchers.append(parse_matcher(text))
        except ValueError as error:
            errors.append(FieldError(f"{where}.matchers[{index}]", str(error)))
    return AppliesTo(alertnames=names, matchers=tuple(matchers))


def _steps(errors: Errors, value: object, *, where: str) -> tuple[Step, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        errors.append(FieldError(where, "must be a list of steps"))
        return ()
    if len(value) > MAX_STEPS:
        errors.append(FieldError(where, f"must have at most {MAX_STEPS} steps"))
    steps = []
    for index, raw in enumerate(value):
        field = f"{where}[{index}]"
        if not isinstance(raw, dict):
            errors.append(FieldError(field, "must be a mapping with at least a title"))
            continue
        steps.append(_step(errors, raw, number=index + 1, where=field))
    return tuple(steps)


def _step(errors: Errors, raw: Raw, *, number: int, where: str) -> Step:
    _unknown(errors, raw, allowed=STEP_KEYS, where=where)
    action = _action(errors, raw.get("action"), where=f"{where}.action")
    rollback = _action(errors, raw.get("rollback"), where=f"{where}.rollback")
    step = Step(
        number=number,
        title=_text(errors, raw, "title", where=where),
        prose=_text(errors, raw, "prose", where=where, required=False),
        action=action,
        auto=_flag(errors, raw.get("auto"), where=f"{where}.auto"),
        approval=_approval(errors, raw.get("approval"), where=f"{where}.approval"),
        timeout=_duration(errors, raw, "timeout", where=where, default=DEFAULT_STEP_TIMEOUT),
        rollback=rollback,
        rate_limit=_rate_limit(errors, raw.get("rate_limit"), where=f"{where}.rate_limit"),
    )
    _check_step(errors, step, raw=raw, where=where)
    return step


def _check_step(errors: Errors, step: Step, *, raw: Raw, where: str) -> None:
    """Cross-field rules: guards only make sense on a step that does something."""
    for key in ("rollback", "rate_limit", "approval"):
        if raw.get(key) is not None and raw.get("action") is None:
            errors.append(FieldError(f"{where}.{key}", "needs an action on the same step"))
    if step.auto and raw.get("action") is None:
        errors.append(FieldError(f"{where}.auto", "needs an action to run"))
    elif step.auto and step.action is not None and step.action.kind is ActionKind.MANUAL:
        errors.append(FieldError(f"{where}.auto", "a manual step cannot run by itself"))
    if step.action is not None and step.action.kind is ActionKind.WAIT_UNTIL:
        wait = step.action.params["timeout"]
        if isinstance(wait, timedelta) and wait > step.timeout:
            errors.append(
                FieldError(f"{where}.action.timeout", "must not exceed the step's timeout")
            )


def _flag(errors: Errors, value: object, *, where: str) -> bool:
    if value is not None and not isinstance(value, bool):
        errors.append(FieldError(where, "must be true or false"))
    return value is True


def _approval(errors: Errors, value: object, *, where: str) -> str | None:
    if value is None or value in APPROVERS:
        return value if isinstance(value, str) else None
    errors.append(FieldError(where, f"must be one of: {', '.join(APPROVERS)}"))
    return None


def _duration(
    errors: Errors, raw: Raw, key: str, *, where: str, default: timedelta | None = None
) -> timedelta:
    value = raw.get(key)
    if value is None:
        if default is None:
            errors.append(FieldError(_join(where, key), "is required"))
        return default or DEFAULT_STEP_TIMEOUT
    try:
        return parse_duration(value)
    except ValueError as error:
        errors.append(FieldError(_join(where, key), str(error)))
        return default or DEFAULT_STEP_TIMEOUT


def _rate_limit(errors: Errors, value: object, *, where: str) -> RateLimit | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.append(FieldError(where, "must be a mapping like {count: 3, per: 1h}"))
        return None
    _unknown(errors, value, allowed=("count", "per"), where=where)
    count = value.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        errors.append(FieldError(f"{where}.count", "must be a whole number of at least 1"))
        count = 1
    return RateLimit(count=count, per=_duration(errors, value, "per", where=where))


def _action(errors: Errors, value: object, *, where: str) -> Action | None:
    if value is None:
        return None
    kinds = ", ".join(k.value for k in ActionKind)
    if not isinstance(value, dict):
        errors.append(FieldError(where, f"must be a mapping with a kind ({kinds})"))
        return None
    try:
        kind = ActionKind(str(value.get("kind")))
    except ValueError:
        errors.append(FieldError(f"{where}.kind", f"must be one of: {kinds}"))
        return None
    _unknown(errors, value, allowed=("kind", *ACTION_KEYS[kind]), where=where)
    action = Action(kind, _READERS[kind](errors, value, where))
    action.map_templates(lambda field, source: _template(errors, source, where=_join(where, field)))
    return action


def _template(errors: Errors, source: str, *, where: str) -> str:
    reason = check_template(source)
    if reason is not None:
        errors.append(FieldError(where, f"template does not compile: {reason}"))
    return source


def _condition(errors: Errors, raw: Raw, *, where: str) -> str:
    text = _text(errors, raw, "condition", where=where)
    if text:
        try:
            return str(Condition.parse(text))
        except ValueError as error:
            errors.append(FieldError(_join(where, "condition"), str(error)))
    return text


def _http(errors: Errors, raw: Raw, where: str) -> dict[str, Any]:
    method = raw.get("method", "POST")
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
        errors.append(FieldError(f"{where}.method", f"must be one of: {', '.join(HTTP_METHODS)}"))
        method = "POST"
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        errors.append(FieldError(f"{where}.headers", "must map header names to strings"))
        headers = {}
    try:
        json.dumps(raw.get("json"), allow_nan=False)
    except (TypeError, ValueError):
        errors.append(FieldError(f"{where}.json", "must be plain JSON (no dates, NaN or binary)"))
    statuses = raw.get("expect_status") or []
    if not isinstance(statuses, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and 100 <= s <= 599 for s in statuses
    ):
        errors.append(FieldError(f"{where}.expect_status", "must be a list of HTTP statuses"))
        statuses = []
    return {
        "method": method.upper(),
        "url": _text(errors, raw, "url", where=where),
        "headers": dict(headers),
        "json": raw.get("json"),
        "expect_status": tuple(statuses),
    }


def _prometheus_query(errors: Errors, raw: Raw, where: str) -> dict[str, Any]:
    return {
        "query": _text(errors, raw, "query", where=where),
        "condition": _condition(errors, raw, where=where),
    }


def _wait_until(errors: Errors, raw: Raw, where: str) -> dict[str, Any]:
    params = _prometheus_query(errors, raw, where)
    params["timeout"] = _duration(errors, raw, "timeout", where=where)
    params["interval"] = _duration(
        errors, raw, "interval", where=where, default=DEFAULT_POLL_INTERVAL
    )
    if params["interval"] > params["timeout"]:
        errors.append(FieldError(f"{where}.interval", "must not be longer than the timeout"))
    return params


def _shell(errors: Errors, raw: Raw, where: str) -> dict[str, Any]:
    command = raw.get("command")
    if isinstance(command, str):
        errors.append(FieldError(f"{where}.command", SHELL_STRING))
        return {"command": ()}
    if command is None or command == []:
        errors.append(FieldError(f"{where}.command", "must name a program and its arguments"))
    return {"command": _strings(errors, command, where=f"{where}.command")}


def _manual(errors: Errors, raw: Raw, where: str) -> dict[str, Any]:
    return {"instructions": _text(errors, raw, "instructions", where=where)}


def _notify(errors: Errors, raw: Raw, where: str) -> dict[str, Any]:
    target = _text(errors, raw, "target", where=where)
    if target and not _TARGET.match(target):
        errors.append(
            FieldError(f"{where}.target", "must look like kind:name, e.g. channel:slack-incidents")
        )
    return {"target": target, "message": _text(errors, raw, "message", where=where)}


_READERS: dict[ActionKind, Callable[[Errors, Raw, str], dict[str, Any]]] = {
    ActionKind.HTTP: _http,
    ActionKind.PROMETHEUS_QUERY: _prometheus_query,
    ActionKind.WAIT_UNTIL: _wait_until,
    ActionKind.SHELL: _shell,
    ActionKind.MANUAL: _manual,
    ActionKind.NOTIFY: _notify,
}
