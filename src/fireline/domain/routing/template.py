"""Sandboxed Jinja2 templates over an alert's labels and annotations.

Templates come from configuration, so they run in Jinja's sandbox; a missing label renders as
"" (as in Alertmanager). Compiled templates are cached by their source text.

Rendering is memoized by what a template reads: `{{ labels.alertname }}/{{ labels.region }}`
renders once per distinct (alertname, region), however many alerts carry that pair. This holds
only for a template that reads plain values and single keys of its mappings; one that reads a
mapping whole (`{% for k in labels %}`, `labels.get(...)`), uses `random`, or rebinds a context
name renders every time.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import TemplateError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

_ENV = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
MAX_OUTPUT = 1024
# Rendered texts kept per template; the memo starts afresh when full.
MEMO_SIZE = 4096
# Filters and globals whose output is not a function of their input.
_UNSTABLE = frozenset({"random", "lipsum", "cycler", "joiner", "namespace"})
# Values a memo key may hold as they are (immutable and cheap to hash).
_PLAIN = (str, int, float, bool, type(None))
_MISSING = object()


class TemplateProblem(Exception):
    """A template does not compile, or failed while rendering."""


@dataclass(frozen=True, slots=True)
class _Reads:
    """What a template reads of its context: names read whole, and (name, key) reads."""

    whole: tuple[str, ...]
    keyed: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class _Compiled:
    template: Any
    reads: _Reads | None  # None: render every time
    memo: dict[tuple[Hashable, ...], str] = field(default_factory=dict)


@lru_cache(maxsize=1024)
def _compiled(source: str) -> _Compiled:
    return _Compiled(_ENV.from_string(source), _reads_of(_ENV.parse(source)))


def _reads_of(ast: nodes.Template) -> _Reads | None:
    """Return what `ast` reads from its context, or None if its output may depend on more."""
    free = meta.find_undeclared_variables(ast)
    if free & _UNSTABLE:
        return None
    whole: set[str] = set()
    keyed: set[tuple[str, str]] = set()
    for node in ast.find_all((nodes.Filter, nodes.Name)):
        if isinstance(node, nodes.Filter) and node.name in _UNSTABLE:
            return None
        if isinstance(node, nodes.Name) and node.ctx != "load" and node.name in free:
            return None  # a context name rebound inside the template
    for parent in ast.find_all(nodes.Node):
        for child in parent.iter_child_nodes():
            if isinstance(child, nodes.Name) and child.ctx == "load" and child.name in free:
                key = _constant_key(parent, child)
                if key is None:
                    whole.add(child.name)
                else:
                    keyed.add((child.name, key))
    return _Reads(tuple(sorted(whole)), tuple(sorted(keyed)))


def _constant_key(parent: nodes.Node, name: nodes.Name) -> str | None:
    """Return `k` when `parent` is `name.k` or `name['k']`, else None."""
    if isinstance(parent, nodes.Getattr) and parent.node is name:
        return parent.attr
    if (
        isinstance(parent, nodes.Getitem)
        and parent.node is name
        and isinstance(parent.arg, nodes.Const)
        and isinstance(parent.arg.value, str)
    ):
        return parent.arg.value
    return None


def _memo_key(reads: _Reads, context: Mapping[str, Any]) -> tuple[Hashable, ...] | None:
    """Return the values the template reads, or None if one cannot safely stand for itself."""
    key: list[Hashable] = []
    for name in reads.whole:
        value = context.get(name, _MISSING)
        if value is not _MISSING and not isinstance(value, _PLAIN):
            return None
        key.append(value)
    for name, item in reads.keyed:
        mapping = context.get(name, _MISSING)
        if mapping is _MISSING:
            key.append(_MISSING)
            continue
        # Jinja looks `labels.items` up as an attribute first: only plain keys are keys.
        if not isinstance(mapping, Mapping) or hasattr(mapping, item):
            return None
        value = mapping.get(item, _MISSING)
        if value is not _MISSING and not isinstance(value, _PLAIN):
            return None
        key.append(value)
    return tuple(key)


def check_template(source: str) -> str | None:
    """Return why `source` does not compile, or None when it does."""
    try:
        _compiled(source)
    except TemplateError as error:
        return f"{type(error).__name__}: {error}"
    return None


def render(source: str, context: dict[str, Any]) -> str:
    """Render `source` with `context`, stripped and bounded; raise TemplateProblem on failure."""
    try:
        compiled = _compiled(source)
    except TemplateError as error:
        raise TemplateProblem(f"{type(error).__name__}: {error}") from error
    key = None if compiled.reads is None else _memo_key(compiled.reads, context)
    if key is not None and (known := compiled.memo.get(key)) is not None:
        return known
    try:
        text = str(compiled.template.render(context)).strip()[:MAX_OUTPUT]
    except TemplateError as error:
        raise TemplateProblem(f"{type(error).__name__}: {error}") from error
    except Exception as error:  # noqa: BLE001 - a template must never lose an alert
        raise TemplateProblem(f"{type(error).__name__}: {error}") from error
    if key is not None:
        if len(compiled.memo) >= MEMO_SIZE:
            compiled.memo.clear()
        compiled.memo[key] = text
    return text
