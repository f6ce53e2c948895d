"""Job IDs of the document platform, linked to the incidents that touched them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fireline.domain.errors import FieldError, Invalid

JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_JOBS_PER_REQUEST = 200_000
_MAX_REPORTED = 20


@dataclass(frozen=True, slots=True)
class JobLink:
    """One job ID linked to an incident."""

    incident_id: int
    job_id: str
    linked_at: datetime
    linked_by: str


def clean_job_ids(job_ids: Sequence[str], *, field: str = "job_ids") -> list[str]:
    """Return the distinct, valid job IDs in order, or raise Invalid naming the bad ones."""
    errors: list[FieldError] = []
    if not job_ids:
        errors.append(FieldError(field, "must list at least one job ID"))
    if len(job_ids) > MAX_JOBS_PER_REQUEST:
        errors.append(FieldError(field, f"at most {MAX_JOBS_PER_REQUEST} job IDs per request"))
    bad = [(i, j) for i, j in enumerate(job_ids) if not JOB_ID.match(j)]
    for index, job_id in bad[:_MAX_REPORTED]:
        errors.append(
            FieldError(
                f"{field}[{index}]",
                f"{job_id!r} is not a job ID (1-128 of letters, digits and . _ : -)",
            )
        )
    if len(bad) > _MAX_REPORTED:
        errors.append(FieldError(field, f"and {len(bad) - _MAX_REPORTED} more invalid job IDs"))
    if errors:
        raise Invalid(errors)
    return list(dict.fromkeys(job_ids))
