"""A small PromQL subset over the platform's samples, answered in Prometheus's JSON shape.

Runbook steps (`prometheus_query`) and the built-in rule evaluator query the sandbox as they
would query Prometheus. Supported, with PromQL's semantics:

- a selector: `metric_name`, `metric_name{a="b", c!="d", e=~"re", f!~"re"}` or
  `{__name__="metric_name", …}` (regexes are anchored; a missing label reads as "");
- a selector compared with a number, `> 500`, `< 0.05`, `>=`, `<=`, `==`, `!=`: a filter that
  keeps the series whose value compares true, name and labels unchanged;
- `max(…)`, `min(…)`, `sum(…)` of either, which drop every label; the result may be compared too.

Anything else (ranges, functions, `by`, arithmetic) is refused with a `QueryError` saying where.
Everything here is pure: `parse(text)`, then `evaluate(expr, series)`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from fireline.sandbox.metrics import Series

NAME_LABEL = "__name__"
AGGREGATIONS: dict[str, Callable[[list[float]], float]] = {
    "sum": math.fsum,
    "max": max,
    "min": min,
}
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
MATCH_OPS = ("=", "!=", "=~", "!~")
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?:[Ii][Nn][Ff]|[Nn][Aa][Nn])(?![A-Za-z0-9_:])))
    | (?P<name>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
    | (?P<op>==|!=|=~|!~|>=|<=|[=<>{}(),])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


class QueryError(Exception):
    """The expression is not in the supported subset; the message says what and where."""


@dataclass(frozen=True, slots=True)
class Matcher:
    """`label op "value"`, as in PromQL."""

    label: str
    op: str
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether a series with `labels` passes this matcher."""
        found = labels.get(self.label, "")
        if self.op == "=":
            return found == self.value
        if self.op == "!=":
            return found != self.value
        hit = re.fullmatch(self.value, found) is not None
        return hit if self.op == "=~" else not hit


@dataclass(frozen=True, slots=True)
class Selector:
    """The series whose labels (with `__name__`) pass every matcher."""

    matchers: tuple[Matcher, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """`operand op threshold`: keeps the samples for which the comparison holds."""

    operand: Expr
    op: str
    threshold: float


@dataclass(frozen=True, slots=True)
class Aggregation:
    """`op(operand)`: one label-less sample, or none when the operand is empty."""

    op: str
    operand: Expr


Expr = Selector | Comparison | Aggregation


@dataclass(frozen=True, slots=True)
class Sample:
    """One element of an instant vector."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip() == "":
                break
            shown = text[position:].lstrip()[:1]
            where = len(text) - len(text[position:].lstrip())
            raise QueryError(f"unexpected {shown!r} at position {where}")
        kind = match.lastgroup or ""
        found.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return found


class _Parser:
    """Recursive descent over the tokens of one expression."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, kind: str, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or token.kind != kind or (text is not None and token.text != text):
            wanted = repr(text) if text else f"a {kind}"
            raise QueryError(f"expected {wanted} {self.where(token)}")
        self.index += 1
        return token

    def where(self, token: _Token | None) -> str:
        if token is None:
            return "at the end of the expression"
        return f"but found {token.text!r} at position {token.position}"

    def expression(self) -> Expr:
        operand = self.operand()
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in COMPARISONS:
            self.index += 1
            threshold = _number(self.take("number").text)
            return Comparison(operand, token.text, threshold)
        return operand

    def operand(self) -> Expr:
        token = self.peek()
        after = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        if token is not None and token.kind == "name" and after is not None and after.text == "(":
            if token.text not in AGGREGATIONS:
                raise QueryError(
                    f"unsupported function {token.text!r} at position {token.position}; "
                    f"supported: {', '.join(AGGREGATIONS)}"
                )
            self.index += 2
            inner = self.expression()
            self.take("op", ")")
            return Aggregation(token.text, inner)
        return self.selector()

    def selector(self) -> Selector:
        token = self.peek()
        matchers: list[Matcher] = []
        if token is not None and token.kind == "name":
            self.index += 1
            matchers.append(Matcher(NAME_LABEL, "=", token.text))
        elif token is None or token.text != "{":
            raise QueryError(f"expected a metric name {self.where(token)}")
        token = self.peek()
        if token is not None and token.text == "{":
            self.index += 1
            matchers.extend(self.matchers())
        if not any(m.label == NAME_LABEL and m.op == "=" for m in matchers):
            raise QueryError('a selector needs a metric name (or __name__="…")')
        return Selector(tuple(matchers))

    def matchers(self) -> list[Matcher]:
        found: list[Matcher] = []
        while True:
            token = self.peek()
            if token is not None and token.text == "}":
                self.index += 1
                return found
            label = self.take("name").text
            op_token = self.peek()
            if op_token is None or op_token.text not in MATCH_OPS:
                raise QueryError(f"expected one of = != =~ !~ {self.where(op_token)}")
            self.index += 1
            found.append(_matcher(label, op_token.text, _unquote(self.take("string").text)))
            token = self.peek()
            if token is not None and token.text == ",":
                self.index += 1
            elif token is None or token.text != "}":
                raise QueryError(f"expected ',' or '}}' {self.where(token)}")


def _matcher(label: str, op: str, value: str) -> Matcher:
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as error:
            raise QueryError(f"invalid regular expression {value!r}: {error}") from error
    return Matcher(label, op, value)


def _unquote(literal: str) -> str:
    if literal.startswith("`"):
        return literal[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), literal[1:-1])


def _number(text: str) -> float:
    return float(text)  # float() reads "Inf", "+inf", "NaN" as PromQL does


def parse(text: str) -> Expr:
    """Parse one expression of the supported subset, or raise QueryError."""
    if not text.strip():
        raise QueryError("the query is empty")
    parser = _Parser(text)
    expr = parser.expression()
    rest = parser.peek()
    if rest is not None:
        raise QueryError(f"unexpected {rest.text!r} at position {rest.position}")
    return expr


def evaluate(expr: Expr, series: Sequence[Series]) -> list[Sample]:
    """Evaluate `expr` over `series` (the current value of each) into an instant vector."""
    if isinstance(expr, Selector):
        return [
            Sample({NAME_LABEL: s.name, **s.labels}, s.value)
            for s in series
            if all(m.matches({NAME_LABEL: s.name, **s.labels}) for m in expr.matchers)
        ]
    if isinstance(expr, Comparison):
        compare = COMPARISONS[expr.op]
        return [s for s in evaluate(expr.operand, series) if compare(s.value, expr.threshold)]
    values = [s.value for s in evaluate(expr.operand, series)]
    if not values:
        return []
    numbers = [v for v in values if not math.isnan(v)] or values
    return [Sample({}, AGGREGATIONS[expr.op](numbers))]


def format_value(value: float) -> str:
    """Write a sample value as Prometheus does: "500", "0.3", "NaN", "+Inf", "-Inf"."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def vector_response(samples: Sequence[Sample], *, at: datetime) -> dict[str, Any]:
    """Return the body of a successful instant query, as Prometheus's `/api/v1/query`."""
    stamp = round(at.timestamp(), 3)
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": s.labels, "value": [stamp, format_value(s.value)]} for s in samples
            ],
        },
    }


def error_response(message: str) -> dict[str, Any]:
    """Return the body of a refused query (sent with status 400), as Prometheus's."""
    return {"status": "error", "errorType": "bad_data", "error": message}
