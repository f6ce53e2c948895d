"""Sandboxed Jinja2 templates over an alert's labels and annotations.

Templates come from configuration, so they run in Jinja's sandbox; a missing label renders as
"" (as in Alertmanager). Compiled templates are cached by their source text.

Rendering is memoized by what a template reads: `{{ labels.alertname }}/{{ labels.region }}`
renders once per distinct (alertname, region), however many alerts carry that pair. This holds
only for a template that reads plain values and single keys of its mappings; one that reads a
mapping whole (`{% for k in labels %}`, `labels.get(...)`), uses `random`, or rebinds a context
name renders every time. What only the right side of an `or` reads counts only when the left
side is falsy: the default group key `{{ labels.alertname or summary }}` ignores the summary
of an alert that has an alertname.
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
# What `labels.<item>` finds on a plain dict before its keys (`labels.items`): its attributes.
_DICT_ATTRIBUTES = frozenset(dir(dict))
_MISSING = object()
_IRRELEVANT = object()


class TemplateProblem(Exception):
    """A template does not compile, or failed while rendering."""


# One thing a template reads: a context name whole (key None), or one key of a mapping.
_Read = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class _Reads:
    """What a template reads of its context, and which reads only matter sometimes.

    `unless[i]` is the index of the read that, when truthy, makes read `i` irrelevant: in
    `{{ labels.alertname or summary }}` the summary matters only without an alertname, so
    alerts that differ only in their summary share one rendering.
    """

    reads: tuple[_Read, ...]
    unless: tuple[int | None, ...]


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
    for node in ast.find_all((nodes.Filter, nodes.Name)):
        if isinstance(node, nodes.Filter) and node.name in _UNSTABLE:
            return None
        if isinstance(node, nodes.Name) and node.ctx != "load" and node.name in free:
            return None  # a context name rebound inside the template
    parents = {id(c): p for p in ast.find_all(nodes.Node) for c in p.iter_child_nodes()}
    # Each read, with the read it is the right operand of an `or` to in every occurrence.
    guards: dict[_Read, _Read | None] = {}
    for name in ast.find_all(nodes.Name):
        if name.ctx != "load" or name.name not in free:
            continue
        reader, read = _read_at(name, parents.get(id(name)))
        parent = parents.get(id(reader))
        guard = _read_of(parent.left) if isinstance(parent, nodes.Or) else None
        if isinstance(parent, nodes.Or) and parent.right is reader and guard is not None:
            guards[read] = guard if guards.get(read, guard) == guard else None
        else:
            guards[read] = None
    reads = tuple(sorted(guards, key=lambda r: (r[0], r[1] or "")))
    index = {read: i for i, read in enumerate(reads)}
    unless = tuple(_index_of(guards[r], index) for r in reads)
    return _Reads(reads, unless)


def _index_of(read: _Read | None, index: dict[_Read, int]) -> int | None:
    return None if read is None else index.get(read)


def _read_at(name: nodes.Name, parent: nodes.Node | None) -> tuple[nodes.Node, _Read]:
    """Return the node that reads through `name` (`name.k` or `name`) and what it reads."""
    key = _constant_key(parent, name) if parent is not None else None
    if key is None:
        return name, (name.name, None)
    assert parent is not None
    return parent, (name.name, key)


def _read_of(node: nodes.Node) -> _Read | None:
    """Return what `node` reads when it is nothing but a read (`summary`, `labels.x`)."""
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return (node.name, None)
    if isinstance(node, (nodes.Getattr, nodes.Getitem)) and isinstance(node.node, nodes.Name):
        key = _constant_key(node, node.node)
        return None if key is None else (node.node.name, key)
    return None


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
    values: list[Any] = []
    for name, item in reads.reads:
        value = context.get(name, _MISSING)
        if item is not None and value is not _MISSING:
            # Jinja looks `labels.items` up as an attribute first: only plain keys are keys.
            if type(value) is dict:
                if item in _DICT_ATTRIBUTES:
                    return None
            elif not isinstance(value, Mapping) or hasattr(value, item):
                return None
            value = value.get(item, _MISSING)
        if value is not _MISSING and not isinstance(value, _PLAIN):
            return None
        values.append(value)
    for i, guard in enumerate(reads.unless):
        # Jinja's `a or b` is `a` whenever `a` is truthy (a missing value is undefined: falsy).
        if guard is not None and values[guard] is not _MISSING and values[guard]:
            values[i] = _IRRELEVANT
    return tuple(values)


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
