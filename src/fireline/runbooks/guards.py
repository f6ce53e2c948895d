"""Pure guards on runbook automation: render, check, describe and mask before anything runs.

The executor (services + engine) does the I/O; everything here decides from plain data so that a
dry-run shows exactly what a real run would do, and a real run refuses what a guard refuses.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import Environment, meta, nodes

from fireline.domain.errors import FieldError, Forbidden, Invalid
from fireline.domain.routing.template import TemplateProblem, render
from fireline.runbooks.model import Action, ActionKind, Condition, format_duration

MASK = "****"
ROOTS = ("incident", "labels", "annotations", "platform")
_SECRET_NAME = re.compile(
    r"(?i)(authorization|token|secret|passw(or)?d|api[-_]?key|access[-_]?key|private[-_]?key"
    r"|cookie|session|credential|signature)"
)
_TARGET = re.compile(r"^[a-z][a-z0-9_-]*:\S+$")
# Parsing only (never rendering): finds which labels a template needs before it runs.
_SYNTAX = Environment(autoescape=False)
_GLOBALS = frozenset(_SYNTAX.globals)


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What templates see: `incident`, alert `labels` and `annotations`, and `platform` URLs."""

    incident: Mapping[str, Any]
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    platform: Mapping[str, str]

    def variables(self) -> dict[str, Any]:
        """Return the template variables, as plain dicts."""
        return {
            "incident": dict(self.incident),
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "platform": dict(self.platform),
        }


@dataclass(frozen=True, slots=True)
class RenderedAction:
    """An action with every template rendered: exactly what would be done."""

    kind: ActionKind
    params: Mapping[str, Any]

    def status_ok(self, status: int) -> bool:
        """Tell whether an HTTP response status counts as success (default: any 2xx)."""
        expected: Sequence[int] = self.params.get("expect_status") or ()
        return status in expected if expected else 200 <= status <= 299


def render_action(
    action: Action, context: RenderContext, *, field: str = "action"
) -> RenderedAction:
    """Render every template of `action`; raise Invalid naming each param that fails.

    A template that uses a label, annotation or incident field the context lacks fails too
    (unless it guards it with `default(...)` or `{% if %}`): an action must never run with a
    silently empty token name or URL.
    """
    errors: list[FieldError] = []
    variables = context.variables()

    def one(name: str, source: str) -> str:
        where = f"{field}.{name}"
        missing = missing_references(source, variables)
        if missing:
            errors.append(FieldError(where, f"uses {', '.join(missing)}, which is not set here"))
            return ""
        try:
            return render(source, variables)
        except TemplateProblem as error:
            errors.append(FieldError(where, f"template failed: {error}"))
            return ""

    params = action.map_templates(one)
    if not errors:
        _check_rendered(errors, action.kind, params, field=field)
    if errors:
        raise Invalid(errors)
    return RenderedAction(action.kind, params)


def _check_rendered(
    errors: list[FieldError], kind: ActionKind, params: Mapping[str, Any], *, field: str
) -> None:
    if kind is ActionKind.HTTP:
        url = urlsplit(params["url"])
        if url.scheme not in ("http", "https") or not url.hostname:
            errors.append(FieldError(f"{field}.url", f"{params['url']!r} is not an http(s) URL"))
    elif kind is ActionKind.SHELL:
        for index, arg in enumerate(params["command"]):
            if not arg:
                errors.append(FieldError(f"{field}.command[{index}]", "rendered empty"))
    elif kind is ActionKind.NOTIFY and not _TARGET.match(params["target"]):
        errors.append(FieldError(f"{field}.target", f"{params['target']!r} is not kind:name"))
    for name in ("query", "instructions", "message"):
        if name in params and not params[name]:
            errors.append(FieldError(f"{field}.{name}", "rendered empty"))


def missing_references(source: str, variables: Mapping[str, Any]) -> list[str]:
    """Name what `source` uses that `variables` lacks, like `labels.token` (sorted)."""
    tree = _SYNTAX.parse(source)
    guarded: set[tuple[str, str]] = set()
    for guard in _guard_expressions(tree):
        guarded.update(_references(guard))
    missing = {
        f"{root}.{key}"
        for root, key in _references(tree)
        if (root, key) not in guarded and not _has(variables.get(root), key)
    }
    unknown = {n for n in _undeclared(tree) if n not in variables and n not in _GLOBALS}
    return sorted(missing | unknown)


def _has(container: object, key: str) -> bool:
    return isinstance(container, Mapping) and key in container


def _undeclared(tree: nodes.Template) -> set[str]:
    return set(meta.find_undeclared_variables(tree))


def _guard_expressions(tree: nodes.Node) -> Iterable[nodes.Node]:
    for node in tree.find_all((nodes.If, nodes.CondExpr, nodes.Filter, nodes.Test)):
        if isinstance(node, nodes.If | nodes.CondExpr):
            yield node.test
        elif isinstance(node, nodes.Test):
            yield node.node
        elif isinstance(node, nodes.Filter) and node.name in ("default", "d") and node.node:
            yield node.node


def _references(tree: nodes.Node) -> Iterable[tuple[str, str]]:
    nodes_found: list[nodes.Node] = [tree]
    nodes_found.extend(tree.find_all((nodes.Getattr, nodes.Getitem)))
    for node in nodes_found:
        if not isinstance(node, nodes.Getattr | nodes.Getitem):
            continue
        if not isinstance(node.node, nodes.Name) or node.node.name not in ROOTS:
            continue
        if isinstance(node, nodes.Getattr):
            yield node.node.name, node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            yield node.node.name, node.arg.value


def check_shell_allowed(argv: Sequence[str], *, allowlist: Sequence[str]) -> None:
    """Raise Forbidden unless `argv` starts with the tokens of some allowlist entry.

    Entries are command prefixes such as "kubectl rollout restart deployment/extraction",
    split like a shell would split them and compared token by token (never as text, so
    "kubectl rollout restart deployment/extraction-evil" does not pass).
    """
    for entry in allowlist:
        tokens = shlex.split(entry)
        if tokens and list(argv[: len(tokens)]) == tokens:
            return
    shown = shlex.join(argv) if argv else "(no command)"
    raise Forbidden(f"{shown} is not on the shell allowlist in the configuration")


def check_condition(value: float | None, condition: str) -> bool:
    """Tell whether `condition` holds for a query's first sample (None: no result)."""
    try:
        return Condition.parse(condition).holds(value)
    except ValueError as error:
        raise Invalid([FieldError("condition", str(error))]) from error


def idempotency_key(*, incident_id: object, runbook_id: str, step: int, rollback: bool) -> str:
    """Return the key a step's run is stored under: one run per incident, step and direction."""
    direction = "rollback" if rollback else "run"
    return f"runbook:{incident_id}:{runbook_id}:{step}:{direction}"


def secrets_of(rendered: RenderedAction) -> list[str]:
    """Return the values a step's output and description must never show.

    Every header value of 8 characters or more (any header may carry a credential), and,
    whatever their length from 4 characters, the URL's password, the values of query
    parameters and JSON keys whose names say secret (`token`, `api_key`, `password`, ...).
    An error message that quotes the request URL then shows `****` where the token was.
    """
    params = rendered.params
    found = [str(v) for v in (params.get("headers") or {}).values() if len(str(v)) >= 8]
    url = params.get("url")
    if isinstance(url, str):
        parts = urlsplit(url)
        found += [parts.password or ""]
        found += [
            v for n, v in parse_qsl(parts.query, keep_blank_values=True) if _SECRET_NAME.search(n)
        ]
    found += _secret_json_values(params.get("json"))
    return [s for s in dict.fromkeys(found) if len(s) >= 4]


def _secret_json_values(value: Any) -> list[str]:
    """Return the scalar values under secret-named keys anywhere in a JSON body."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and _SECRET_NAME.search(key) and isinstance(item, str | int):
                found.append(str(item))
            else:
                found += _secret_json_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found += _secret_json_values(item)
    return found


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret (longest first) with ****."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def describe(rendered: RenderedAction, *, secrets: Iterable[str] = ()) -> str:
    """Say in one exact line what running `rendered` would do, with secrets masked."""
    p = rendered.params
    kind = rendered.kind
    if kind is ActionKind.HTTP:
        line = _describe_http(p)
    elif kind is ActionKind.PROMETHEUS_QUERY:
        line = f"query Prometheus {p['query']} and require {_requirement(p['condition'])}"
    elif kind is ActionKind.WAIT_UNTIL:
        line = (
            f"poll Prometheus {p['query']} every {format_duration(p['interval'])} for up to "
            f"{format_duration(p['timeout'])} until {_requirement(p['condition'])}"
        )
    elif kind is ActionKind.SHELL:
        line = f"run {shlex.join(p['command'])}"
    elif kind is ActionKind.MANUAL:
        line = f"ask a person to confirm: {_one_line(p['instructions'])}"
    else:
        line = f"notify {p['target']}: {_one_line(p['message'])}"
    return mask_secrets(line, secrets)


def _requirement(condition: str) -> str:
    parsed = Condition.parse(condition)
    if parsed.op == "empty":
        return "no result"
    if parsed.op == "not empty":
        return "a result"
    return f"the first sample {parsed}"


def _describe_http(params: Mapping[str, Any]) -> str:
    parts = [params["method"], _mask_url(params["url"])]
    for name, value in params["headers"].items():
        parts.append("-H " + shlex.quote(f"{name}: {MASK if _SECRET_NAME.search(name) else value}"))
    if params.get("json") is not None:
        parts.append(json.dumps(_mask_json(params["json"]), ensure_ascii=False))
    if params.get("expect_status"):
        parts.append("expecting " + "/".join(str(s) for s in params["expect_status"]))
    return " ".join(parts)


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_SECRET_NAME.search(name) for name, _ in pairs):
        masked = [(n, MASK if _SECRET_NAME.search(n) else v) for n, v in pairs]
        query = urlencode(masked, safe="*/:")
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _mask_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            k: MASK if isinstance(k, str) and _SECRET_NAME.search(k) else _mask_json(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask_json(v) for v in value]
    return value


def _one_line(text: str) -> str:
    return " ".join(text.split())
