"""The alert-group reader shared by the Alertmanager and Grafana intakes."""

from __future__ import annotations

import pytest

from fireline.domain.errors import FieldError
from fireline.integrations.alertmanager.alerts import (
    alert_summary,
    check_version,
    unquote_receiver,
)


@pytest.mark.parametrize(
    ("quoted", "name"),
    [
        ("fireline\\.webhook", "fireline.webhook"),
        ("team\\.db\\+ops", "team.db+ops"),
        ("a\\(b\\)\\[c\\]\\{d\\}\\^\\$\\|\\*\\?", "a(b)[c]{d}^$|*?"),
        ("back\\\\slash", "back\\slash"),
        ("plain-name_1", "plain-name_1"),
    ],
)
def test_receiver_names_lose_go_regexp_quoting(quoted: str, name: str) -> None:
    assert unquote_receiver(quoted) == name


def test_summary_prefers_the_summary_annotation() -> None:
    annotations = {"summary": " Disk full ", "description": "Other"}
    assert alert_summary({"alertname": "DiskFull"}, annotations) == "Disk full"


def test_summary_uses_the_first_non_blank_description_line() -> None:
    annotations = {"summary": "  ", "description": "\n first line \nsecond"}
    assert alert_summary({"alertname": "DiskFull"}, annotations) == "first line"


def test_summary_falls_back_to_the_alertname_or_nothing() -> None:
    assert alert_summary({"alertname": "DiskFull"}, {"description": "  "}) == "DiskFull"
    assert alert_summary({}, {}) == ""


def test_version_check_names_the_expected_version_and_the_way_out() -> None:
    errors: list[FieldError] = []
    check_version(errors, body={"version": "1"}, expected="4", hint="go elsewhere")
    check_version(errors, body={}, expected="4", hint="go elsewhere")
    check_version(errors, body={"version": ["4"]}, expected="4", hint="go elsewhere")
    check_version(errors, body={"version": "4"}, expected="4", hint="go elsewhere")
    assert errors == [
        FieldError("version", 'is "1", but this endpoint takes "4"; go elsewhere'),
        FieldError("version", 'is missing (expected "4")'),
        FieldError("version", 'is not a string, but this endpoint takes "4"; go elsewhere'),
    ]
