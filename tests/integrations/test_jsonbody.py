"""Field readers that collect every problem under its JSON path."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fireline.domain.errors import FieldError, Invalid
from fireline.integrations.jsonbody import (
    collect,
    int_field,
    list_field,
    object_field,
    require_object,
    string_map_field,
    text_field,
    time_field,
    unknown_fields,
)


@pytest.mark.parametrize("payload", [None, [], "text", 3, True])
def test_a_body_that_is_not_an_object_is_invalid_at_the_root(payload: object) -> None:
    with pytest.raises(Invalid) as caught:
        require_object(payload)
    assert caught.value.errors == (FieldError("body", "must be a JSON object"),)


def test_null_counts_as_absent() -> None:
    errors: list[FieldError] = []
    assert text_field(errors, field="a", value=None) is None
    assert object_field(errors, field="b", value=None) is None
    assert list_field(errors, field="c", value=None) is None
    assert int_field(errors, field="d", value=None) is None
    assert time_field(errors, field="e", value=None) is None
    assert string_map_field(errors, field="f", value=None) == {}
    assert errors == []


def test_required_fields_are_reported_missing() -> None:
    errors: list[FieldError] = []
    text_field(errors, field="a", value=None, required=True)
    text_field(errors, field="b", value="  ", required=True)
    object_field(errors, field="c", value=None, required=True)
    list_field(errors, field="d", value=None, required=True)
    assert errors == [
        FieldError("a", "is missing or blank"),
        FieldError("b", "is missing or blank"),
        FieldError("c", "is missing"),
        FieldError("d", "is missing"),
    ]


def test_wrong_types_are_named() -> None:
    errors: list[FieldError] = []
    text_field(errors, field="a", value=1)
    object_field(errors, field="b", value=[])
    list_field(errors, field="c", value={})
    int_field(errors, field="d", value=True)
    int_field(errors, field="e", value=-1)
    int_field(errors, field="f", value=1.5)
    time_field(errors, field="g", value="soon")
    assert [error.field for error in errors] == ["a", "b", "c", "d", "e", "f", "g"]


def test_text_limits_apply() -> None:
    errors: list[FieldError] = []
    assert text_field(errors, field="a", value="", blank=False) is None
    assert text_field(errors, field="b", value="xyz", max_length=2) is None
    assert text_field(errors, field="c", value="", max_length=2) == ""
    assert errors == [
        FieldError("a", "must not be blank"),
        FieldError("b", "must be at most 2 characters"),
    ]


def test_string_maps_check_each_entry_by_name() -> None:
    errors: list[FieldError] = []
    found = string_map_field(
        errors, field="labels", value={"ok": "1", "empty": "", "bad-name": "x", "n": 2}
    )
    assert found == {"ok": "1"}
    assert [error.field for error in errors] == ["labels.bad-name", "labels.n"]


def test_times_read_as_aware_utc() -> None:
    errors: list[FieldError] = []
    assert time_field(errors, field="t", value="2026-12-04T21:00:00+01:00") == datetime(
        2026, 12, 4, 20, tzinfo=UTC
    )
    assert errors == []


def test_unknown_fields_are_each_named_with_their_prefix() -> None:
    errors: list[FieldError] = []
    unknown_fields(errors, prefix="alerts[2].", body={"a": 1, "x": 2, "y": 3}, known=frozenset("a"))
    assert [error.field for error in errors] == ["alerts[2].x", "alerts[2].y"]


def test_collect_moves_invalid_errors_into_the_list() -> None:
    errors: list[FieldError] = [FieldError("first", "is bad")]

    def _fails() -> int:
        raise Invalid([FieldError("second", "is bad too")])

    assert collect(errors, _fails) is None
    assert collect(errors, lambda: 7) == 7
    assert [error.field for error in errors] == ["first", "second"]
