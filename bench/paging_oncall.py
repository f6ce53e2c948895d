"""Who is on call, and a year of final shifts: the schedule half of bench/paging.py.

Pure computation on Fireline's domain functions (`fireline.domain.oncall`), no server and no
database. `--schedules` schedules (1,000) are built from a fixed seed, so every run queries
the same ones at the same instants:

| kind | layers |
| --- | --- |
| weekly, daily, hourly | one layer: turns of 1–2 weeks, 1 day, or 8/12 hours |
| business hours | a weekly base; a daily layer restricted to Mon–Fri 09:00–17:00 local |
| weekend | a weekly base; a daily layer restricted to Saturday and Sunday (whole days) |
| overnight | a weekly base; a 12-hour layer restricted to 22:00–06:00 (past midnight) daily |
| follow-the-sun | a weekly UTC base; EU, US and APAC layers, each on local weekday hours |

Layers use 3–8 users and nine zones (UTC, London, Berlin, New York, Chicago, Los Angeles,
São Paulo, Kolkata, Tokyo, Sydney: DST in both hemispheres and none), start on a random
instant of 2025, hand off at a random hour; each schedule has 0–4 overrides. Each schedule is
asked `on_call(schedule, overrides, at=...)` at `--instants` (10,000) instants drawn
uniformly from 2026–2027. Every query is timed on its own (`perf_counter_ns`); the work is
split over `--oncall-workers` processes (one per CPU), each timing its own queries, so a query's
time is what one core spends on it.

Check: for one schedule in 20, the answers at its first 500 instants must agree with
`final_shifts` over the two years (the user of the shift holding the instant, or nobody).
"""

from __future__ import annotations

import bisect
import multiprocessing
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as wall

from fireline.domain.oncall.override import Override, make_override
from fireline.domain.oncall.restriction import Restriction
from fireline.domain.oncall.rotation import Layer, make_layer
from fireline.domain.oncall.schedule import Schedule, final_shifts, make_schedule, on_call

SEED = 20260601
WINDOW_START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2028, 1, 1, tzinfo=UTC)
LAYER_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
EU_ZONES = ("Europe/London", "Europe/Berlin")
US_ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo")
APAC_ZONES = ("Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney")
ZONES = ("UTC", *EU_ZONES, *US_ZONES, *APAC_ZONES)
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})
EVERY_DAY = frozenset(range(7))
CHECK_EVERY = 20
CHECK_INSTANTS = 500
MAX_EXAMPLES = 5
BUCKET_NS = 100  # the query-time histogram's resolution: 0.1 µs
SHIFT_YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
SHIFT_YEAR_END = datetime(2027, 1, 1, tzinfo=UTC)


# --- the schedules --------------------------------------------------------------------------


def _users(rng: random.Random, prefix: str) -> list[str]:
    return [f"{prefix}-{n}" for n in range(rng.randint(3, 8))]


def _start(rng: random.Random) -> datetime:
    return LAYER_EPOCH + timedelta(seconds=rng.randrange(365 * 86400))


def _layer(
    rng: random.Random,
    name: str,
    *,
    rotation: tuple[int, str],
    zone: str,
    restrictions: Sequence[Restriction] = (),
    handoff: wall | None = None,
) -> Layer:
    return make_layer(
        name,
        users=_users(rng, name),
        rotation_length=rotation[0],
        rotation_unit=rotation[1],
        handoff=handoff or wall(rng.randrange(24)),
        time_zone=zone,
        start_at=_start(rng),
        restrictions=restrictions,
    )


def _weekly(rng: random.Random, name: str, zone: str) -> Layer:
    return _layer(rng, name, rotation=(rng.choice((1, 1, 2)), "weeks"), zone=zone)


def follow_the_sun(rng: random.Random) -> list[Layer]:
    """A weekly UTC base and EU, US and APAC layers restricted to local weekday hours."""
    return [
        _weekly(rng, "base", "UTC"),
        _layer(
            rng,
            "eu",
            rotation=(1, rng.choice(("days", "weeks"))),
            zone=rng.choice(EU_ZONES),
            restrictions=[Restriction(WEEKDAYS, wall(8), wall(16))],
            handoff=wall(8),
        ),
        _layer(
            rng,
            "us",
            rotation=(1, rng.choice(("days", "weeks"))),
            zone=rng.choice(US_ZONES[:3]),
            restrictions=[Restriction(WEEKDAYS, wall(9), wall(17))],
            handoff=wall(9),
        ),
        _layer(
            rng,
            "apac",
            rotation=(1, rng.choice(("days", "weeks"))),
            zone=rng.choice(APAC_ZONES),
            restrictions=[Restriction(WEEKDAYS, wall(9), wall(17))],
            handoff=wall(9),
        ),
    ]


def _weekly_only(rng: random.Random, zone: str) -> list[Layer]:
    return [_weekly(rng, "primary", zone)]


def _daily_only(rng: random.Random, zone: str) -> list[Layer]:
    return [_layer(rng, "primary", rotation=(1, "days"), zone=zone)]


def _hourly_only(rng: random.Random, zone: str) -> list[Layer]:
    return [_layer(rng, "primary", rotation=(rng.choice((8, 12)), "hours"), zone=zone)]


def _business_hours(rng: random.Random, zone: str) -> list[Layer]:
    office = Restriction(WEEKDAYS, wall(9), wall(17))
    return [
        _weekly(rng, "base", zone),
        _layer(rng, "office", rotation=(1, "days"), zone=zone, restrictions=[office]),
    ]


def _weekend(rng: random.Random, zone: str) -> list[Layer]:
    days = Restriction(WEEKEND, wall(0), wall(0))  # start == end: the whole day
    return [
        _weekly(rng, "base", zone),
        _layer(rng, "weekend", rotation=(1, "days"), zone=zone, restrictions=[days]),
    ]


def _overnight(rng: random.Random, zone: str) -> list[Layer]:
    night = Restriction(EVERY_DAY, wall(22), wall(6))
    return [
        _weekly(rng, "base", zone),
        _layer(rng, "night", rotation=(12, "hours"), zone=zone, restrictions=[night]),
    ]


KINDS: dict[str, Callable[[random.Random, str], list[Layer]]] = {
    "weekly": _weekly_only,
    "daily": _daily_only,
    "hourly": _hourly_only,
    "business-hours": _business_hours,
    "weekend": _weekend,
    "overnight": _overnight,
    "follow-the-sun": lambda rng, _zone: follow_the_sun(rng),
}


def overrides_of(rng: random.Random, schedule: Schedule) -> list[Override]:
    """0–4 overrides inside the query window, of 2 hours to 3 days, by users of the schedule."""
    users = [user for layer in schedule.layers for user in layer.users]
    found = []
    for _ in range(rng.randint(0, 4)):
        start = WINDOW_START + timedelta(seconds=rng.randrange(int(_span_s())))
        span = timedelta(hours=rng.randint(2, 72))
        found.append(make_override(rng.choice(users), start_at=start, end_at=start + span))
    return found


def _span_s() -> float:
    return (WINDOW_END - WINDOW_START).total_seconds()


def schedule_number(index: int) -> tuple[Schedule, list[Override]]:
    """Return schedule `index` of the fixed set, with its overrides (the same on every run)."""
    rng = random.Random(SEED * 100_003 + index)
    kind = list(KINDS)[index % len(KINDS)]
    layers = KINDS[kind](rng, rng.choice(ZONES))
    schedule = make_schedule(f"{kind}-{index}", time_zone=rng.choice(ZONES), layers=layers)
    return schedule, overrides_of(rng, schedule)


def instants_of(index: int, count: int) -> list[datetime]:
    """Return `count` instants drawn uniformly from the window for schedule `index`."""
    rng = random.Random(SEED * 7 + index)
    span = _span_s()
    return [WINDOW_START + timedelta(seconds=rng.random() * span) for _ in range(count)]


# --- who is on call -------------------------------------------------------------------------


@dataclass
class Queries:
    """What a worker measured: query count, time, a histogram of query times, the check."""

    queries: int = 0
    seconds: float = 0.0  # the queries' own time, summed (wall clock, query by query)
    cpu_s: float = 0.0  # the worker's CPU time over its whole loop (schedules built, checks)
    histogram: Counter[int] = field(default_factory=Counter)  # BUCKET_NS buckets
    nobody: int = 0
    per_schedule_us: list[float] = field(default_factory=list)
    checked: int = 0
    mismatched: int = 0
    examples: list[str] = field(default_factory=list)  # the first few mismatches

    def merge(self, other: Queries) -> None:
        """Add another worker's figures to these."""
        self.queries += other.queries
        self.seconds += other.seconds
        self.cpu_s += other.cpu_s
        self.histogram.update(other.histogram)
        self.nobody += other.nobody
        self.per_schedule_us += other.per_schedule_us
        self.checked += other.checked
        self.mismatched += other.mismatched
        self.examples = (self.examples + other.examples)[:MAX_EXAMPLES]


def query_schedules(indexes: Sequence[int], instants: int) -> Queries:
    """Ask each schedule who is on call at `instants` instants, timing every query."""
    found = Queries()
    clock = time.perf_counter_ns
    cpu_before = time.process_time()
    for index in indexes:
        schedule, overrides = schedule_number(index)
        moments = instants_of(index, instants)
        answers: list[str | None] = []
        spent = 0
        histogram = found.histogram
        for at in moments:
            started = clock()
            user = on_call(schedule, overrides, at=at)
            took = clock() - started
            spent += took
            histogram[took // BUCKET_NS] += 1
            answers.append(user)
        found.queries += len(moments)
        found.seconds += spent / 1e9
        found.per_schedule_us.append(spent / 1e3 / max(1, len(moments)))
        found.nobody += answers.count(None)
        if index % CHECK_EVERY == 0:
            check_against_shifts(found, schedule, overrides, moments, answers)
    found.cpu_s = time.process_time() - cpu_before
    return found


def check_against_shifts(
    found: Queries,
    schedule: Schedule,
    overrides: Sequence[Override],
    moments: Sequence[datetime],
    answers: Sequence[str | None],
) -> None:
    """`on_call` must name the user of the final shift holding each instant (or nobody)."""
    shifts = final_shifts(schedule, overrides, start_at=WINDOW_START, end_at=WINDOW_END)
    starts = [shift.start_at for shift in shifts]
    for at, answer in list(zip(moments, answers, strict=True))[:CHECK_INSTANTS]:
        position = bisect.bisect_right(starts, at) - 1
        holder = shifts[position] if position >= 0 and shifts[position].contains(at) else None
        expected = holder.user if holder else None
        found.checked += 1
        if expected == answer:
            continue
        found.mismatched += 1
        if len(found.examples) < MAX_EXAMPLES:
            found.examples.append(
                f"{schedule.name} at {at.isoformat()}: on_call {answer!r}, shifts {expected!r}"
            )


def who_is_on_call(schedules: int, instants: int, workers: int) -> Queries:
    """Query `schedules` schedules at `instants` instants each, on `workers` processes."""
    chunks = [list(range(w, schedules, workers)) for w in range(workers)]
    if workers == 1:
        return query_schedules(chunks[0], instants)
    total = Queries()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for part in pool.map(query_schedules, chunks, [instants] * workers):
            total.merge(part)
    return total


def histogram_percentile(histogram: Counter[int], fraction: float) -> float:
    """Return the nearest-rank percentile of a histogram of BUCKET_NS buckets, in µs."""
    total = sum(histogram.values())
    rank = max(1, int(fraction * total + 0.999999))
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return (bucket + 1) * BUCKET_NS / 1e3  # the bucket's upper edge
    return 0.0


# --- a year of final shifts -----------------------------------------------------------------


@dataclass(frozen=True)
class ShiftTiming:
    """How long one year of final shifts took (each repeat), and how many shifts it gave."""

    layers: int
    shifts: int
    seconds: list[float]


def year_of_shifts(repeats: int) -> ShiftTiming:
    """Time `final_shifts` over 2026 for a follow-the-sun schedule (3 restricted layers + base)."""
    rng = random.Random(SEED)
    schedule = make_schedule("follow-the-sun", time_zone="UTC", layers=follow_the_sun(rng))
    seconds = []
    shifts = []
    for _ in range(repeats):
        started = time.perf_counter()
        shifts = final_shifts(schedule, (), start_at=SHIFT_YEAR_START, end_at=SHIFT_YEAR_END)
        seconds.append(time.perf_counter() - started)
    return ShiftTiming(len(schedule.layers), len(shifts), seconds)


def median_ms(timing: ShiftTiming) -> float:
    """Return the median time of the repeats, in ms."""
    return statistics.median(timing.seconds) * 1000
