"""Reading a decoded JSON body field by field, collecting every problem under its JSON path.

Each reader appends `FieldError`s to the caller's list and returns a usable value (or None), so a
parser can check every field before raising one `Invalid`. JSON `null` counts as absent.
Messages start with "is …" or "must …" so that they read after the field's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.labels import check_labels
from fireline.integrations.timestamp import parse_timestamp

T = TypeVar("T")

# The field name used for errors about the body as a whole.
ROOT = "body"
MISSING = "is missing"
MISSING_TEXT = "is missing or blank"
RFC3339 = "must be an RFC 3339 date-time with a zone, like 2026-01-02T03:04:05Z"


def require_object(payload: Any) -> dict[str, Any]:
    """Return the body as a JSON object, or raise Invalid naming the root."""
    if not isinstance(payload, dict):
        raise Invalid([FieldError(ROOT, "must be a JSON object")])
    return payload


def text_field(  # noqa: PLR0913 - each limit is its own keyword
    errors: list[FieldError],
    *,
    field: str,
    value: object,
    required: bool = False,
    blank: bool = True,
    max_length: int | None = None,
) -> str | None:
    """Read an optional (or `required`, non-blank) string; `blank=False` refuses "" when given."""
    if value is None:
        if required:
            errors.append(FieldError(field, MISSING_TEXT))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(field, "must be a string"))
        return None
    if (required or not blank) and not value.strip():
        errors.append(FieldError(field, MISSING_TEXT if required else "must not be blank"))
        return None
    if max_length is not None and len(value) > max_length:
        errors.append(FieldError(field, f"must be at most {max_length} characters"))
        return None
    return value


def int_field(errors: list[FieldError], *, field: str, value: object) -> int | None:
    """Read an optional non-negative integer (booleans are not integers here)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(FieldError(field, "must be a non-negative integer"))
        return None
    return value


def object_field(
    errors: list[FieldError], *, field: str, value: object, required: bool = False
) -> dict[str, Any] | None:
    """Read an optional (or `required`) JSON object."""
    if value is None:
        if required:
            errors.append(FieldError(field, MISSING))
        return None
    if not isinstance(value, dict):
        errors.append(FieldError(field, "must be an object"))
        return None
    return value


def list_field(
    errors: list[FieldError], *, field: str, value: object, required: bool = False
) -> list[Any] | None:
    """Read an optional (or `required`) JSON array."""
    if value is None:
        if required:
            errors.append(FieldError(field, MISSING))
        return None
    if not isinstance(value, list):
        errors.append(FieldError(field, "must be an array"))
        return None
    return value


def string_map_field(
    errors: list[FieldError],
    *,
    field: str,
    value: object,
    required: bool = False,
    max_value: int = 1024,
) -> dict[str, str]:
    """Read an object of label-named strings (labels, annotations); empty values are dropped."""
    found = object_field(errors, field=field, value=value, required=required)
    if found is None:
        return {}
    return check_labels(errors, field=field, labels=found, max_value=max_value)


def time_field(
    errors: list[FieldError], *, field: str, value: object, rule: str = RFC3339
) -> datetime | None:
    """Read an optional instant with a zone, as aware UTC; `rule` is the message when it is bad."""
    text = text_field(errors, field=field, value=value)
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        errors.append(FieldError(field, rule))
        return None


def unknown_fields(
    errors: list[FieldError], *, prefix: str, body: Mapping[str, Any], known: frozenset[str]
) -> None:
    """Record one error per key of `body` that is not in `known`."""
    for name in body:
        if name not in known:
            errors.append(FieldError(f"{prefix}{name}", "is not a known field"))


def collect(errors: list[FieldError], build: Callable[[], T]) -> T | None:
    """Call `build()` (e.g. a `make_alert` partial), moving an Invalid's errors into `errors`."""
    try:
        return build()
    except Invalid as invalid:
        errors.extend(invalid.errors)
        return None
