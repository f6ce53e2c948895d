"""The PromQL subset: parsing, PromQL's filtering and aggregation semantics, Prometheus's JSON."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from fireline.sandbox.metrics import Series
from fireline.sandbox.query import (
    Aggregation,
    Comparison,
    Matcher,
    QueryError,
    Selector,
    error_response,
    evaluate,
    format_value,
    parse,
    vector_response,
)

SERIES = [
    Series("platform_queue_depth", {}, 812.0),
    Series("platform_token_expiry_seconds", {"token": "uploads-api"}, 2_592_000.0),
    Series("platform_token_expiry_seconds", {"token": "extraction-worker"}, 540.0),
    Series("platform_failed_job_info", {"job_id": "job-1", "stage": "upload"}, 1.0),
    Series("platform_failed_job_info", {"job_id": "job-2", "stage": "extraction"}, 1.0),
    Series("platform_failed_job_info", {"job_id": "job-3", "stage": "extraction"}, 1.0),
    Series("platform_upload_error_ratio", {}, math.nan),
]


def _values(expr: str) -> list[tuple[dict[str, str], float]]:
    return [(s.labels, s.value) for s in evaluate(parse(expr), SERIES)]


def test_a_metric_name_parses_to_a_name_matcher() -> None:
    assert parse("platform_queue_depth") == Selector(
        (Matcher("__name__", "=", "platform_queue_depth"),)
    )


def test_matchers_comparisons_and_aggregations_parse() -> None:
    expr = parse('max(x{a="b", c!=\'d\', e=~"f.*", g!~`h|i`,}) >= -1.5e3')
    assert expr == Comparison(
        Aggregation(
            "max",
            Selector(
                (
                    Matcher("__name__", "=", "x"),
                    Matcher("a", "=", "b"),
                    Matcher("c", "!=", "d"),
                    Matcher("e", "=~", "f.*"),
                    Matcher("g", "!~", "h|i"),
                )
            ),
        ),
        ">=",
        -1500.0,
    )


def test_escapes_in_strings_are_read() -> None:
    selector = parse('x{a="say \\"hi\\"\\n"}')
    assert isinstance(selector, Selector)
    assert selector.matchers[1].value == 'say "hi"\n'


def test_a_selector_returns_its_series_with_the_name() -> None:
    assert _values("platform_queue_depth") == [({"__name__": "platform_queue_depth"}, 812.0)]
    assert _values('{__name__="platform_queue_depth"}') == _values("platform_queue_depth")
    assert _values("platform_nothing") == []


@pytest.mark.parametrize(
    ("expr", "job_ids"),
    [
        ('platform_failed_job_info{stage="extraction"}', ["job-2", "job-3"]),
        ('platform_failed_job_info{stage!="extraction"}', ["job-1"]),
        ('platform_failed_job_info{job_id=~"job-[12]"}', ["job-1", "job-2"]),
        ('platform_failed_job_info{job_id!~"job-[12]"}', ["job-3"]),
        ('platform_failed_job_info{job_id=~"job"}', []),  # regexes are anchored
        ('platform_failed_job_info{missing=""}', ["job-1", "job-2", "job-3"]),
    ],
)
def test_label_matchers_filter_as_in_promql(expr: str, job_ids: list[str]) -> None:
    assert [labels["job_id"] for labels, _ in _values(expr)] == job_ids


@pytest.mark.parametrize(
    ("expr", "kept"),
    [
        ("platform_queue_depth > 500", [812.0]),
        ("platform_queue_depth > 812", []),
        ("platform_queue_depth >= 812", [812.0]),
        ("platform_queue_depth < 1000", [812.0]),
        ("platform_queue_depth <= 811.9", []),
        ("platform_queue_depth == 812", [812.0]),
        ("platform_queue_depth != 812", []),
        ("platform_token_expiry_seconds < 3600", [540.0]),
        ("platform_upload_error_ratio > 0.05", []),  # NaN compares false
        ("platform_upload_error_ratio != 0", [math.nan]),  # ... except with !=
    ],
)
def test_comparisons_filter_and_keep_the_value(expr: str, kept: list[float]) -> None:
    values = [value for _, value in _values(expr)]
    assert [str(v) for v in values] == [str(v) for v in kept]


def test_comparison_keeps_the_name_and_labels() -> None:
    assert _values("platform_token_expiry_seconds < 3600") == [
        ({"__name__": "platform_token_expiry_seconds", "token": "extraction-worker"}, 540.0)
    ]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("max(platform_token_expiry_seconds)", [({}, 2_592_000.0)]),
        ("min(platform_token_expiry_seconds)", [({}, 540.0)]),
        ("sum(platform_failed_job_info)", [({}, 3.0)]),
        ('sum(platform_failed_job_info{stage="upload"})', [({}, 1.0)]),
        ("min(platform_token_expiry_seconds) < 3600", [({}, 540.0)]),
        ("max(platform_token_expiry_seconds < 3600)", [({}, 540.0)]),
        ("sum(platform_nothing)", []),  # an empty vector stays empty
        ("max(platform_queue_depth) > 1000", []),
    ],
)
def test_aggregations_drop_every_label(
    expr: str, expected: list[tuple[dict[str, str], float]]
) -> None:
    assert _values(expr) == expected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("", "the query is empty"),
        ("rate(x[5m])", "unexpected '['"),
        ("x[5m]", "unexpected '[' at position 1"),
        ("avg(x)", "unsupported function 'avg' at position 0; supported: sum, max, min"),
        ("sum by (a) (x)", "unexpected 'by' at position 4"),
        ("x > ", "expected a number at the end of the expression"),
        ("x > y", "expected a number but found 'y' at position 4"),
        ("x + 1", "unexpected '+' at position 2"),
        ("x+1", "unexpected '+1' at position 1"),
        ('x{a="b"', "expected ',' or '}' at the end of the expression"),
        ("x{a}", "expected one of = != =~ !~ but found '}'"),
        ('x{a=~"("}', "invalid regular expression '('"),
        ('{a="b"}', "a selector needs a metric name"),
        ("max(x", "expected ')' at the end of the expression"),
        ("x y", "unexpected 'y' at position 2"),
    ],
)
def test_unsupported_expressions_say_what_and_where(expr: str, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse(expr)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (500.0, "500"),
        (0.3, "0.3"),
        (0.00001, "0.00001"),
        (2_592_000.0, "2592000"),
        (-1.5, "-1.5"),
        (math.nan, "NaN"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
    ],
)
def test_values_are_written_as_prometheus_writes_them(value: float, text: str) -> None:
    assert format_value(value) == text


def test_a_vector_answer_has_prometheus_shape() -> None:
    at = datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)
    body = vector_response(evaluate(parse("platform_queue_depth > 500"), SERIES), at=at)
    assert body == {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {
                    "metric": {"__name__": "platform_queue_depth"},
                    "value": [1767603600.123, "812"],
                }
            ],
        },
    }


def test_an_error_answer_has_prometheus_shape() -> None:
    assert error_response("bad") == {"status": "error", "errorType": "bad_data", "error": "bad"}
