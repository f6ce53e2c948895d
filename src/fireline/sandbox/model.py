"""The simulated document platform: uploads, a job queue, extraction workers, service tokens.

Pure and deterministic: `Platform(seed=…, start=…)` holds the whole state, and
`advance(now)` plays it forward one simulated second at a time, drawing every random number
from one `random.Random(seed)`. The same seed, the same admin actions at the same instants,
give the same platform. Nothing here reads a clock; the caller says what time it is.

Each second: uploads arrive (Poisson, `arrival_rate` × `arrival_multiplier` per second) unless
intake is paused; each fails with `upload_error_probability` (or when the `uploads-api` token
has expired, or the queue is full) and is kept as a failed upload, else it is queued as a job.
Then the workers take jobs (each ~1 per second, Poisson); a job fails with
`extraction_error_probability` (every job fails once the `extraction-worker` token has
expired) and goes to the dead letters, else it completes and its latency is observed.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STEP = timedelta(seconds=1)
MAX_CATCH_UP = timedelta(hours=1)  # a longer gap (a suspended laptop) is skipped, not replayed
WINDOW_S = 60  # the error ratios are over the last minute

HEALTHY_WORKERS = 8
MAX_WORKERS = 100
ARRIVAL_RATE = 5.0  # uploads per second
BASE_UPLOAD_ERROR = 0.002
BASE_EXTRACTION_ERROR = 0.005
QUEUE_CAPACITY = 50_000  # beyond this, uploads are refused (and count as failed uploads)
FAILED_KEPT = 1_000  # failed jobs / uploads remembered by ID; older ones are only counted
TOKEN_LIFETIME = timedelta(days=30)
TOKENS = ("uploads-api", "extraction-worker")
LATENCY_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

UPLOAD = "upload"
EXTRACTION = "extraction"


class SandboxError(Exception):
    """An admin request the platform refuses; `status` is the HTTP status it maps to."""

    status = 400


class UnknownName(SandboxError):
    """No token, fault or other thing of that name."""

    status = 404


class InvalidRequest(SandboxError):
    """A value out of range."""

    status = 422


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """A job waiting for a worker."""

    job_id: str
    enqueued_at: datetime


@dataclass(frozen=True, slots=True)
class FailedJob:
    """A job that failed: at upload (never queued) or at extraction (now a dead letter)."""

    job_id: str
    stage: str
    reason: str
    failed_at: datetime


@dataclass(slots=True)
class Token:
    """A service token and the instant it stops working."""

    name: str
    expires_at: datetime


@dataclass(slots=True)
class SecondCounts:
    """What happened in one simulated second; the last minute of these gives the ratios."""

    uploads: int = 0
    upload_failures: int = 0
    extractions: int = 0
    extraction_failures: int = 0


@dataclass(slots=True)
class ActiveFault:
    """A fault in effect, with what its mitigation needs to remember."""

    name: str
    injected_at: datetime
    workers_before: int = HEALTHY_WORKERS
    intake_paused_since: bool = False  # upload-failures: intake was paused while it was active


@dataclass(slots=True)
class Totals:
    """Counters since the start, as Prometheus counters."""

    uploads: int = 0
    upload_failures: int = 0
    jobs_completed: int = 0
    jobs_failed: int = 0
    latency_buckets: list[int] = field(default_factory=lambda: [0] * len(LATENCY_BUCKETS))
    latency_sum: float = 0.0
    latency_count: int = 0

    def observe_latency(self, seconds: float) -> None:
        """Count one job's latency in its (non-cumulative) bucket."""
        self.latency_sum += seconds
        self.latency_count += 1
        for index, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                self.latency_buckets[index] += 1
                return


class Platform:
    """The whole platform at `simulated_at`; `advance(now)` moves it forward."""

    def __init__(self, *, seed: int, start: datetime) -> None:
        _require_aware(start)
        self.seed = seed
        self.simulated_at = start
        self.rng = random.Random(seed)
        self.workers = HEALTHY_WORKERS
        self.intake_paused = False
        self.arrival_rate = ARRIVAL_RATE
        self.arrival_multiplier = 1.0
        self.upload_error_probability = BASE_UPLOAD_ERROR
        self.extraction_error_probability = BASE_EXTRACTION_ERROR
        self.tokens = {name: Token(name, start + TOKEN_LIFETIME) for name in TOKENS}
        self.queue: deque[QueuedJob] = deque()
        self.failed_jobs: deque[FailedJob] = deque(maxlen=FAILED_KEPT)
        self.failed_uploads: deque[FailedJob] = deque(maxlen=FAILED_KEPT)
        self.dead_letters = 0
        self.totals = Totals()
        self.window: deque[SecondCounts] = deque(maxlen=WINDOW_S)
        self.faults: dict[str, ActiveFault] = {}

    # --- time ------------------------------------------------------------------------------
    def advance(self, now: datetime) -> None:
        """Simulate every whole second from `simulated_at` up to `now`."""
        _require_aware(now)
        if now - self.simulated_at > MAX_CATCH_UP:
            self.simulated_at = now - MAX_CATCH_UP
        while self.simulated_at + STEP <= now:
            self.simulated_at += STEP
            self._step(self.simulated_at)

    def _step(self, at: datetime) -> None:
        counts = SecondCounts()
        self._arrive(at, counts)
        self._extract(at, counts)
        self.window.append(counts)

    def _arrive(self, at: datetime, counts: SecondCounts) -> None:
        if self.intake_paused:
            return  # clients are told to hold their uploads; none is attempted
        for _ in range(poisson(self.rng, self.arrival_rate * self.arrival_multiplier)):
            job_id = self._new_job_id()
            counts.uploads += 1
            self.totals.uploads += 1
            reason = self._upload_failure(at)
            if reason is None:
                self.queue.append(QueuedJob(job_id, at))
                continue
            counts.upload_failures += 1
            self.totals.upload_failures += 1
            self.failed_uploads.append(FailedJob(job_id, UPLOAD, reason, at))

    def _upload_failure(self, at: datetime) -> str | None:
        if self.token_expired("uploads-api", at=at):
            return "uploads-api token expired"
        if len(self.queue) >= QUEUE_CAPACITY:
            return "queue full"
        if self.rng.random() < self.upload_error_probability:
            return "storage write failed"
        return None

    def _extract(self, at: datetime, counts: SecondCounts) -> None:
        capacity = min(poisson(self.rng, float(self.workers)), len(self.queue))
        expired = self.token_expired("extraction-worker", at=at)
        for _ in range(capacity):
            job = self.queue.popleft()
            counts.extractions += 1
            if expired:
                self._fail(job, reason="extraction-worker token expired", at=at)
            elif self.rng.random() < self.extraction_error_probability:
                self._fail(job, reason="extraction failed", at=at)
            else:
                waited = (at - job.enqueued_at).total_seconds()
                self.totals.observe_latency(waited + self.rng.uniform(0.2, 1.0))
                self.totals.jobs_completed += 1
                continue
            counts.extraction_failures += 1

    def _fail(self, job: QueuedJob, *, reason: str, at: datetime) -> None:
        self.failed_jobs.append(FailedJob(job.job_id, EXTRACTION, reason, at))
        self.dead_letters += 1
        self.totals.jobs_failed += 1

    def _new_job_id(self) -> str:
        return f"job-{self.rng.getrandbits(48):012x}"

    # --- readings --------------------------------------------------------------------------
    def token_expired(self, name: str, *, at: datetime) -> bool:
        """Whether token `name` no longer works at `at`."""
        return self.tokens[name].expires_at <= at

    def queue_oldest_age_s(self) -> float:
        """Seconds the oldest queued job has waited (0 with an empty queue)."""
        if not self.queue:
            return 0.0
        return (self.simulated_at - self.queue[0].enqueued_at).total_seconds()

    def upload_error_ratio(self) -> float:
        """Failed uploads / uploads over the last minute (0 when none arrived)."""
        uploads = sum(c.uploads for c in self.window)
        return sum(c.upload_failures for c in self.window) / uploads if uploads else 0.0

    def extraction_error_ratio(self) -> float:
        """Failed extractions / extractions over the last minute (0 when none ran)."""
        done = sum(c.extractions for c in self.window)
        return sum(c.extraction_failures for c in self.window) / done if done else 0.0

    def recent_failures(self, limit: int) -> list[FailedJob]:
        """The most recent `limit` failed jobs and uploads, oldest first."""
        merged = sorted([*self.failed_jobs, *self.failed_uploads], key=lambda f: f.failed_at)
        return merged[-limit:] if limit > 0 else []

    # --- admin actions (faults.py says which of them heal which fault) ---------------------
    def set_workers(self, count: int) -> None:
        """Run `count` extraction workers (1 to MAX_WORKERS)."""
        if not 1 <= count <= MAX_WORKERS:
            raise InvalidRequest(f"count must be between 1 and {MAX_WORKERS}, got {count}")
        self.workers = count

    def pause_intake(self) -> bool:
        """Stop accepting uploads; return whether this changed anything."""
        changed = not self.intake_paused
        self.intake_paused = True
        return changed

    def resume_intake(self) -> bool:
        """Accept uploads again; return whether this changed anything."""
        changed = self.intake_paused
        self.intake_paused = False
        return changed

    def rotate_token(self, name: str) -> Token:
        """Issue token `name` anew: it now expires TOKEN_LIFETIME after `simulated_at`."""
        token = self.tokens.get(name)
        if token is None:
            raise UnknownName(f"no token {name!r}; tokens are {', '.join(TOKENS)}")
        token.expires_at = self.simulated_at + TOKEN_LIFETIME
        return token

    def retry_failed(self) -> list[str]:
        """Queue the remembered failed jobs again; return their IDs (uploads cannot be retried)."""
        retried = [job.job_id for job in self.failed_jobs]
        self.queue.extend(QueuedJob(job_id, self.simulated_at) for job_id in retried)
        self.dead_letters = max(0, self.dead_letters - len(retried))
        self.failed_jobs.clear()
        return retried

    def drain_dead_letters(self) -> int:
        """Discard every dead letter; return how many there were."""
        drained = self.dead_letters
        self.dead_letters = 0
        self.failed_jobs.clear()
        return drained


def poisson(rng: random.Random, rate: float) -> int:
    """Draw a Poisson-distributed count with mean `rate` (Knuth, in slices of at most 30)."""
    total = 0
    remaining = max(0.0, rate)
    while remaining > 0:
        mean = min(remaining, 30.0)
        remaining -= mean
        limit, product, count = math.exp(-mean), rng.random(), 0
        while product > limit:
            product *= rng.random()
            count += 1
        total += count
    return total


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant!r} is naive; the sandbox takes aware UTC instants")
