"""JSON columns are written by orjson where it agrees with `json`, and by `json` elsewhere."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from enum import StrEnum

import pytest

from fireline.store.db import json_text


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {"labels": {"alertname": "Queue", "région": "eu-west-1 ✓"}, "n": [1, 2, None, True]},
        {"big": 2**64 - 1, "small": -(2**63), "float": 0.1, "exp": 1e16},
        {"2": "string keys only", "nested": {"list": [{"a": "b"}]}},
    ],
)
def test_plain_values_read_back_unchanged(value: object) -> None:
    assert json.loads(json_text(value)) == value


def test_what_orjson_would_write_differently_goes_to_json() -> None:
    assert json.loads(json_text({"huge": 10**30})) == {"huge": 10**30}
    assert json.loads(json_text({1: "a", 2: "b"})) == {"1": "a", "2": "b"}
    assert json.loads(json_text({"colour": Colour.RED})) == {"colour": "red"}
    with pytest.raises(TypeError):
        json_text({"at": datetime(2026, 1, 1, tzinfo=UTC)})


def test_a_nan_is_stored_as_null_not_as_invalid_json() -> None:
    assert json.loads(json_text({"x": math.nan})) == {"x": None}
