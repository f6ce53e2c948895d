"""Shared checks for identifiers and free text, collecting every problem at once."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fireline.domain.errors import FieldError

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


def check_text(errors: list[FieldError], *, field: str, value: str, max_length: int) -> str:
    """Strip `value`, and record an error when it is empty or longer than `max_length`."""
    text = value.strip()
    if not text:
        errors.append(FieldError(field, "must not be empty"))
    elif len(text) > max_length:
        errors.append(FieldError(field, f"must be at most {max_length} characters"))
    return text


def check_slugs(errors: list[FieldError], *, field: str, values: Iterable[str]) -> tuple[str, ...]:
    """Return the distinct slugs in order, recording an error for each malformed one."""
    seen: dict[str, None] = {}
    for index, value in enumerate(values):
        if not SLUG.match(value):
            errors.append(
                FieldError(
                    f"{field}[{index}]",
                    f"{value!r} is not a slug (lowercase letters, digits and '-', "
                    "at most 64 characters)",
                )
            )
        seen.setdefault(value, None)
    return tuple(seen)


def check_name(errors: list[FieldError], *, field: str, value: str) -> str:
    """Record an error unless `value` is a person's or token's handle (letters, digits, ._@+-)."""
    if not NAME.match(value):
        errors.append(
            FieldError(
                field,
                f"{value!r} is not a valid name (1-100 of letters, digits and . _ @ + -, "
                "starting with a letter or digit)",
            )
        )
    return value
