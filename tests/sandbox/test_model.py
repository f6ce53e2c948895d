"""The simulated platform: healthy dynamics stay quiet, each fault trips its rule, and its
mitigation (and only its mitigation) brings the platform back."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from fireline.sandbox import faults
from fireline.sandbox.faults import Action, Done, FaultName
from fireline.sandbox.metrics import platform_registry, series
from fireline.sandbox.model import (
    HEALTHY_WORKERS,
    MAX_CATCH_UP,
    InvalidRequest,
    Platform,
    UnknownName,
)
from fireline.sandbox.query import evaluate, parse
from fireline.sandbox.rules import load_rules
from tests.support.fake_clock import START

RULES = {rule.name: rule for rule in load_rules()}


def _at(platform: Platform, **delta: float) -> None:
    platform.advance(platform.simulated_at + timedelta(**delta))


def _crossing(platform: Platform, rule_name: str) -> bool:
    """Whether the rule's expression returns anything now (its threshold is crossed)."""
    registry = platform_registry(lambda: platform)
    return bool(evaluate(parse(RULES[rule_name].expr), series(registry)))


def _minutes_until(platform: Platform, rule_name: str, *, crossing: bool, limit: int) -> int:
    for minute in range(1, limit + 1):
        _at(platform, minutes=1)
        if _crossing(platform, rule_name) == crossing:
            return minute
    state = "cross" if crossing else "fall back under"
    raise AssertionError(f"{rule_name} did not {state} its threshold in {limit} minutes")


def _scale_up(platform: Platform) -> None:
    platform.set_workers(40)
    faults.after(platform, Done(Action.SCALE_WORKERS, "40"))


def _restart_intake(platform: Platform) -> None:
    platform.pause_intake()
    faults.after(platform, Done(Action.PAUSE_INTAKE))
    platform.resume_intake()
    faults.after(platform, Done(Action.RESUME_INTAKE))


def _rotate(platform: Platform) -> None:
    platform.rotate_token("extraction-worker")
    faults.after(platform, Done(Action.ROTATE_TOKEN, "extraction-worker"))


def _retry(platform: Platform) -> None:
    platform.retry_failed()
    faults.after(platform, Done(Action.RETRY_FAILED))


def _drain(platform: Platform) -> None:
    platform.drain_dead_letters()
    faults.after(platform, Done(Action.DRAIN_DEAD_LETTERS))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_healthy_platform_stays_under_every_rule_threshold_for_an_hour(seed: int) -> None:
    platform = Platform(seed=seed, start=START)
    for _ in range(4 * 60):
        _at(platform, seconds=15)
        crossed = [name for name in RULES if _crossing(platform, name)]
        assert not crossed, f"at {platform.simulated_at}: {crossed}"
    assert platform.totals.uploads > 15_000  # ~5 a second
    assert platform.totals.jobs_completed > 15_000


@pytest.mark.parametrize(
    ("fault", "rule", "mitigate", "back_within"),
    [
        (FaultName.QUEUE_SATURATION, "QueueSaturated", _scale_up, 10),
        (FaultName.UPLOAD_FAILURES, "UploadFailures", _restart_intake, 2),
        (FaultName.TOKEN_EXPIRY, "TokenExpiringSoon", _rotate, 1),
        (FaultName.EXTRACTION_ERRORS, "ExtractionErrorRateHigh", _retry, 2),
        (FaultName.EXTRACTION_ERRORS, "ExtractionErrorRateHigh", _drain, 2),
    ],
)
def test_each_fault_crosses_its_threshold_and_its_mitigation_brings_it_back(
    fault: FaultName,
    rule: str,
    mitigate: Callable[[Platform], None],
    back_within: int,
) -> None:
    platform = Platform(seed=7, start=START)
    _at(platform, minutes=5)
    assert faults.inject(platform, fault)
    assert _minutes_until(platform, rule, crossing=True, limit=3) <= 3
    _at(platform, minutes=2)
    mitigate(platform)
    assert fault not in platform.faults
    _minutes_until(platform, rule, crossing=False, limit=back_within)
    for _ in range(10):  # and it stays back
        _at(platform, minutes=1)
        assert not _crossing(platform, rule)


def test_an_expired_worker_token_fails_every_job_until_rotated_then_retry_recovers_them() -> None:
    platform = Platform(seed=3, start=START)
    _at(platform, minutes=1)
    faults.inject(platform, FaultName.TOKEN_EXPIRY)
    _at(platform, minutes=9, seconds=59)
    assert not _crossing(platform, "ExtractionErrorRateHigh")
    _at(platform, minutes=2)
    assert platform.extraction_error_ratio() == 1.0
    assert _crossing(platform, "ExtractionErrorRateHigh")
    failed = [f.job_id for f in platform.failed_jobs if "token expired" in f.reason]
    assert len(failed) > 300
    _rotate(platform)
    completed = platform.totals.jobs_completed
    assert platform.retry_failed()[-len(failed) :] == failed
    _at(platform, minutes=5)
    assert platform.totals.jobs_completed - completed > len(failed)
    assert not _crossing(platform, "ExtractionErrorRateHigh")


@pytest.mark.parametrize(
    ("fault", "wrong"),
    [
        (FaultName.QUEUE_SATURATION, Done(Action.SCALE_WORKERS, "4")),
        (FaultName.QUEUE_SATURATION, Done(Action.ROTATE_TOKEN, "extraction-worker")),
        (FaultName.UPLOAD_FAILURES, Done(Action.RESUME_INTAKE)),
        (FaultName.UPLOAD_FAILURES, Done(Action.RETRY_FAILED)),
        (FaultName.TOKEN_EXPIRY, Done(Action.ROTATE_TOKEN, "uploads-api")),
        (FaultName.EXTRACTION_ERRORS, Done(Action.SCALE_WORKERS, "40")),
    ],
)
def test_the_wrong_mitigation_heals_nothing(fault: FaultName, wrong: Done) -> None:
    platform = Platform(seed=1, start=START)
    faults.inject(platform, fault)
    if wrong.action is Action.SCALE_WORKERS:
        platform.set_workers(int(wrong.target))
    assert faults.after(platform, wrong) == []
    assert fault in platform.faults


def test_nothing_heals_by_itself() -> None:
    platform = Platform(seed=1, start=START)
    for name in FaultName:
        faults.inject(platform, name)
    _at(platform, hours=1)
    assert set(platform.faults) == set(FaultName)


def test_clear_undoes_every_fault() -> None:
    platform = Platform(seed=1, start=START)
    for name in FaultName:
        assert faults.inject(platform, name)
    assert not faults.inject(platform, FaultName.UPLOAD_FAILURES)  # already active
    assert sorted(faults.clear(platform)) == sorted(FaultName)
    assert platform.workers == HEALTHY_WORKERS
    assert platform.arrival_multiplier == 1.0
    assert platform.upload_error_probability < 0.01
    assert platform.extraction_error_probability < 0.01
    assert platform.tokens["extraction-worker"].expires_at - START == timedelta(days=30)


def test_the_same_seed_replays_the_same_platform() -> None:
    runs = []
    for _ in range(2):
        platform = Platform(seed=42, start=START)
        _at(platform, minutes=3)
        faults.inject(platform, FaultName.EXTRACTION_ERRORS)
        _at(platform, minutes=3)
        runs.append(([f.job_id for f in platform.failed_jobs], len(platform.queue)))
    assert runs[0] == runs[1]
    other = Platform(seed=43, start=START)
    _at(other, minutes=3)
    assert [f.job_id for f in other.failed_jobs] != runs[0][0][: len(other.failed_jobs)]


def test_uploads_become_jobs_with_ids_and_failed_uploads_keep_theirs() -> None:
    platform = Platform(seed=5, start=START)
    faults.inject(platform, FaultName.UPLOAD_FAILURES)
    _at(platform, minutes=1)
    assert platform.failed_uploads
    ids = [f.job_id for f in platform.failed_uploads] + [j.job_id for j in platform.queue]
    assert all(re.fullmatch(r"job-[0-9a-f]{12}", job_id) for job_id in ids)
    assert {f.stage for f in platform.failed_uploads} == {"upload"}
    assert platform.dead_letters == len(platform.failed_jobs)  # uploads are not dead letters


def test_paused_intake_takes_no_uploads_and_the_queue_drains() -> None:
    platform = Platform(seed=1, start=START)
    faults.inject(platform, FaultName.QUEUE_SATURATION)
    _at(platform, seconds=30)
    platform.pause_intake()
    uploads = platform.totals.uploads
    platform.set_workers(100)
    _at(platform, minutes=1)
    assert platform.totals.uploads == uploads
    assert len(platform.queue) == 0
    assert platform.queue_oldest_age_s() == 0.0
    assert platform.upload_error_ratio() == 0.0
    assert platform.resume_intake()
    assert not platform.resume_intake()


def test_an_expired_uploads_token_rejects_every_upload() -> None:
    platform = Platform(seed=1, start=START)
    platform.tokens["uploads-api"].expires_at = START
    _at(platform, minutes=1)
    assert platform.upload_error_ratio() == 1.0
    assert {f.reason for f in platform.failed_uploads} == {"uploads-api token expired"}
    rotated = platform.rotate_token("uploads-api").expires_at
    assert rotated == START + timedelta(days=30, minutes=1)


def test_draining_dead_letters_discards_them() -> None:
    platform = Platform(seed=1, start=START)
    faults.inject(platform, FaultName.EXTRACTION_ERRORS)
    _at(platform, minutes=1)
    dead = platform.dead_letters
    assert dead > 50
    assert platform.drain_dead_letters() == dead
    assert (platform.dead_letters, len(platform.failed_jobs), platform.retry_failed()) == (0, 0, [])


def test_the_latency_histogram_counts_every_completed_job() -> None:
    platform = Platform(seed=1, start=START)
    _at(platform, minutes=2)
    totals = platform.totals
    assert sum(totals.latency_buckets) == totals.latency_count == totals.jobs_completed
    assert 0 < totals.latency_sum / totals.latency_count < 3


@pytest.mark.parametrize("count", [0, 101, -1])
def test_worker_counts_out_of_range_are_refused(count: int) -> None:
    platform = Platform(seed=1, start=START)
    with pytest.raises(InvalidRequest, match="between 1 and 100"):
        platform.set_workers(count)
    assert platform.workers == HEALTHY_WORKERS


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    platform = Platform(seed=1, start=START)
    with pytest.raises(UnknownName, match="tokens are uploads-api, extraction-worker"):
        platform.rotate_token("db-password")
    with pytest.raises(UnknownName, match="faults are queue-saturation, upload-failures"):
        faults.inject(platform, "disk-full")


def test_a_gap_longer_than_the_catch_up_limit_is_skipped() -> None:
    platform = Platform(seed=1, start=START)
    platform.advance(START + timedelta(days=3))
    assert platform.simulated_at == START + timedelta(days=3)
    assert platform.totals.uploads < 5.5 * MAX_CATCH_UP.total_seconds()


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        Platform(seed=1, start=datetime(2026, 1, 5, 9, 0))  # noqa: DTZ001 - the point of the test
    platform = Platform(seed=1, start=datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive"):
        platform.advance(datetime(2026, 1, 5, 10, 0))  # noqa: DTZ001
