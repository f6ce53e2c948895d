"""The building blocks of the config file's models: strict sections, slugs, durations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from fireline.domain.errors import FieldError
from fireline.domain.validation import check_slugs

DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def problem(kind: str, message: str) -> PydanticCustomError:
    """A validation error whose message is shown as written."""
    # The message goes in as context, so that braces in it (templates!) are not format fields.
    return PydanticCustomError(kind, "{message}", {"message": message})


def first_problem(errors: list[FieldError], kind: str) -> None:
    """Raise the first of a domain check's errors as a validation error, if any."""
    if errors:
        raise problem(kind, errors[0].message)


def _slug(value: str) -> str:
    errors: list[FieldError] = []
    check_slugs(errors, field="", values=[value])
    first_problem(errors, "slug")
    return value


def _interval(value: object) -> timedelta:
    found = DURATION.match(value) if isinstance(value, str) and value else None
    if found is None:
        raise problem("duration", "must be a duration like 90s, 5m, 1h or 1h30m")
    days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    interval = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if interval <= timedelta(0):
        raise problem("duration", "must be longer than 0s")
    return interval


Slug = Annotated[str, AfterValidator(_slug)]
Interval = Annotated[
    timedelta,
    PlainValidator(_interval),
    WithJsonSchema({"type": "string", "pattern": DURATION.pattern}),
]


class Section(BaseModel):
    """A part of the file: unknown fields are errors (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
