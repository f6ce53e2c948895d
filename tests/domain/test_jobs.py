"""Job ID validation."""

from __future__ import annotations

import pytest

from fireline.domain.errors import Invalid
from fireline.domain.jobs import clean_job_ids


def test_repeats_are_removed_in_order() -> None:
    assert clean_job_ids(["job-2", "job-1", "job-2"]) == ["job-2", "job-1"]


def test_bad_ids_are_named_by_index() -> None:
    with pytest.raises(Invalid) as caught:
        clean_job_ids(["ok-1", "", "has space", "x" * 129])
    assert [e.field for e in caught.value.errors] == ["job_ids[1]", "job_ids[2]", "job_ids[3]"]


def test_an_empty_list_is_invalid() -> None:
    with pytest.raises(Invalid, match="at least one"):
        clean_job_ids([])


def test_a_flood_of_bad_ids_is_summarized() -> None:
    with pytest.raises(Invalid) as caught:
        clean_job_ids([" "] * 100)
    assert caught.value.errors[-1].message == "and 80 more invalid job IDs"
