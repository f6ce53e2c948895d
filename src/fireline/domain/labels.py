"""Label sets and matchers, as in Alertmanager: regexes are anchored; a missing label is ""."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from fireline.domain.errors import FieldError, Invalid

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_MATCHER = re.compile(
    r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$'
)

Labels = Mapping[str, str]


class MatchOp(StrEnum):
    """How a matcher compares a label's value."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True, slots=True)
class Matcher:
    """One condition on one label: `severity="critical"`, `region=~"eu-.*"`."""

    name: str
    op: MatchOp
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def make(cls, name: str, op: MatchOp, value: str) -> Matcher:
        """Build a matcher, compiling (and anchoring) its regex; raise ValueError if bad."""
        pattern = None
        if op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
            try:
                pattern = re.compile(f"^(?:{value})$")
            except re.error as error:
                raise ValueError(f"bad regular expression {value!r}: {error}") from error
        return cls(name, op, value, pattern)

    def matches(self, labels: Labels) -> bool:
        """Tell whether `labels` satisfy this matcher (a missing label counts as "")."""
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQUAL:
            return actual == self.value
        if self.op is MatchOp.NOT_EQUAL:
            return actual != self.value
        assert self._pattern is not None
        found = self._pattern.match(actual) is not None
        return found if self.op is MatchOp.REGEX else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op.value}"{escaped}"'


def parse_matcher(text: str) -> Matcher:
    """Parse `name="value"`, `name!="v"`, `name=~"re"` or `name!~"re"`; raise ValueError."""
    found = _MATCHER.match(text)
    if found is None:
        raise ValueError(
            f'{text!r} is not a matcher like alertname="QueueSaturated" or region=~"eu-.*"'
        )
    name, op, quoted, bare = found.groups()
    value = bare if quoted is None else re.sub(r"\\(.)", r"\1", quoted)
    return Matcher.make(name, MatchOp(op), value or "")


def matches_all(matchers: tuple[Matcher, ...], labels: Labels) -> bool:
    """Tell whether every matcher matches (an empty list matches everything)."""
    return all(m.matches(labels) for m in matchers)


@lru_cache(maxsize=4096)
def is_label_name(name: str) -> bool:
    """Tell whether `name` is a valid label name (remembered: label names are few, and repeat)."""
    return LABEL_NAME.match(name) is not None


def check_labels(
    errors: list[FieldError], *, field: str, labels: Mapping[str, object], max_value: int = 1024
) -> dict[str, str]:
    """Validate label names and values; drop empty values, as Alertmanager does."""
    clean: dict[str, str] = {}
    for name, value in labels.items():
        if not isinstance(name, str) or not is_label_name(name):
            errors.append(FieldError(f"{field}.{name}", "is not a valid label name"))
            continue
        if not isinstance(value, str):
            errors.append(FieldError(f"{field}.{name}", "must be a string"))
            continue
        if len(value) > max_value:
            errors.append(FieldError(f"{field}.{name}", f"is longer than {max_value} characters"))
            continue
        if value != "":
            clean[name] = value
    return clean


def require_valid(errors: list[FieldError]) -> None:
    """Raise Invalid if any error was collected."""
    if errors:
        raise Invalid(errors)
