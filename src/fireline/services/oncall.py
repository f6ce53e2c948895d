"""On-call use cases: who is on call, final shifts, overrides, and the iCalendar feeds.

Schedules and users come from the live configuration (passed in as `config`; None until one is
applied), overrides and feed tokens from the database. Adding or removing an override, and
issuing a feed token, are logged on the `fireline.audit` logger once the change is committed.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fireline.domain.access.token import hash_secret
from fireline.domain.configuration import Configuration, OnCall
from fireline.domain.errors import FieldError, Invalid, NotFound, Unauthenticated
from fireline.domain.oncall.ical import render_calendar
from fireline.domain.oncall.override import Override, make_override
from fireline.domain.oncall.schedule import Schedule, final_shifts, on_call
from fireline.domain.oncall.shift import Shift, as_utc, window
from fireline.domain.user import User
from fireline.store.repos.override import OverrideView
from fireline.store.uow import Tx, UnitOfWork

audit = logging.getLogger("fireline.audit")

FEED_TOKEN_PREFIX = "flcal_"
MAX_WINDOW = timedelta(days=366)
MAX_REASON_LENGTH = 500
# The override and feed-token tables keep as much of the actor as API token names have.
MAX_STORED_ACTOR = 100
FEED_PAST = timedelta(days=7)
FEED_FUTURE = timedelta(days=90)
# Feeds start on a weekly grid at least FEED_PAST ago, so that a shift cut at the start of the
# feed keeps its start (and so its UID) from one refresh to the next, for a week at a time.
FEED_GRID = timedelta(days=7)
_GRID_ORIGIN = datetime.fromisoformat("1970-01-05T00:00:00+00:00")  # a Monday
# The span around an instant searched for the start and end of the shift holding it.
SHIFT_LOOKAROUND = timedelta(days=31)
# Instants far outside this range are typing mistakes, and near the ends of `datetime` the
# arithmetic around them (look-arounds, windows) would overflow.
EARLIEST = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
LATEST = datetime.fromisoformat("9000-01-01T00:00:00+00:00")
_NO_CONFIG = (
    "no configuration has been applied yet: declare users and schedules in fireline.yaml "
    "and run `fireline apply`"
)


@dataclass(frozen=True, slots=True)
class OnCallNow:
    """Who is on call for `schedule` at `at` (None: nobody), and the shift they are in.

    `start_at`/`end_at` bound that shift; None when it reaches past the span searched
    (`SHIFT_LOOKAROUND` either side of `at`) or when nobody is on call.
    """

    schedule: str
    user: str | None
    at: datetime
    start_at: datetime | None = None
    end_at: datetime | None = None
    layer: str | None = None


def _oncall(config: Configuration | None) -> OnCall:
    if config is None:
        raise NotFound(_NO_CONFIG)
    return config.oncall


def list_schedules(config: Configuration | None) -> tuple[Schedule, ...]:
    """Return every declared schedule, as the configuration orders them."""
    return _oncall(config).schedules


def get_schedule(config: Configuration | None, *, name: str) -> Schedule:
    """Return the schedule called `name`, or raise NotFound."""
    schedule = _oncall(config).schedule(name)
    if schedule is None:
        raise NotFound(f"no schedule named {name!r} is declared")
    return schedule


def list_users(config: Configuration | None) -> tuple[User, ...]:
    """Return every declared user, as the configuration orders them."""
    return _oncall(config).users


def get_user(config: Configuration | None, *, name: str) -> User:
    """Return the user called `name`, or raise NotFound."""
    user = _oncall(config).user(name)
    if user is None:
        raise NotFound(f"no user named {name!r} is declared")
    return user


def checked_instant(at: datetime, *, field: str) -> datetime:
    """Return `at` in UTC; raise Invalid naming `field` if it is naive or out of range."""
    moment = as_utc(at, field=field)
    if not EARLIEST <= moment < LATEST:
        raise Invalid(
            [FieldError(field, f"must be in the years {EARLIEST.year} to {LATEST.year - 1}")]
        )
    return moment


def _overrides(views: Sequence[OverrideView]) -> list[Override]:
    """Return stored overrides as domain ones, keeping the store's (start, id) order."""
    return [Override(v.user, v.start_at, v.end_at, str(v.id)) for v in views]


def who_is_on_call(
    uow: UnitOfWork, *, config: Configuration | None, schedule: str | None, at: datetime
) -> list[OnCallNow]:
    """Return who is on call at `at` on one schedule, or on every schedule when None."""
    moment = checked_instant(at, field="at")
    chosen = list_schedules(config) if schedule is None else (get_schedule(config, name=schedule),)
    start_at, end_at = moment - SHIFT_LOOKAROUND, moment + SHIFT_LOOKAROUND
    by_schedule: dict[str, list[OverrideView]] = defaultdict(list)
    with uow.read() as tx:
        for view in tx.overrides.list_(schedule=schedule, start_at=start_at, end_at=end_at):
            by_schedule[view.schedule].append(view)
    answers = []
    for item in chosen:
        overrides = _overrides(by_schedule[item.name])
        user = on_call(item, overrides, at=moment)
        shifts = final_shifts(item, overrides, start_at=start_at, end_at=end_at)
        shift = next((s for s in shifts if s.contains(moment) and s.user == user), None)
        if shift is None:
            answers.append(OnCallNow(item.name, user, moment))
            continue
        answers.append(
            OnCallNow(
                item.name,
                user,
                moment,
                shift.start_at if shift.start_at > start_at else None,
                shift.end_at if shift.end_at < end_at else None,
                shift.layer,
            )
        )
    return answers


def _checked_window(start_at: datetime, end_at: datetime) -> tuple[datetime, datetime]:
    """Return [start_at, end_at) in UTC, or raise Invalid: reversed, or longer than MAX_WINDOW."""
    start = checked_instant(start_at, field="start_at")
    start, end = window(start, checked_instant(end_at, field="end_at"))
    if end - start > MAX_WINDOW:
        raise Invalid([FieldError("end_at", f"must be at most {MAX_WINDOW.days} days after start")])
    return start, end


def schedule_shifts(
    uow: UnitOfWork,
    *,
    config: Configuration | None,
    schedule: str,
    start_at: datetime,
    end_at: datetime,
) -> list[Shift]:
    """Return the final shifts of `schedule` over [start_at, end_at), overrides included."""
    found = get_schedule(config, name=schedule)
    start, end = _checked_window(start_at, end_at)
    with uow.read() as tx:
        views = tx.overrides.list_(schedule=schedule, start_at=start, end_at=end)
    return final_shifts(found, _overrides(views), start_at=start, end_at=end)


@dataclass(frozen=True, slots=True)
class NewOverride:
    """An override to add: `user` on call for `schedule` over [start_at, end_at)."""

    schedule: str
    user: str
    start_at: datetime
    end_at: datetime
    reason: str = ""


def _override_problems(oncall: OnCall, new: NewOverride, *, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    if oncall.schedule(new.schedule) is None:
        errors.append(FieldError("schedule", f"{new.schedule!r} is not a declared schedule"))
    if oncall.user(new.user) is None:
        errors.append(FieldError("user", f"{new.user!r} is not a declared user"))
    try:
        # Declared users are never empty; a stand-in keeps "user" from being reported twice.
        make_override(new.user or "-", start_at=new.start_at, end_at=new.end_at)
        for field, at in (("start_at", new.start_at), ("end_at", new.end_at)):
            checked_instant(at, field=field)
    except Invalid as invalid:
        errors += invalid.errors
    if new.end_at.tzinfo is not None and new.end_at <= now:
        errors.append(FieldError("end_at", "must be in the future"))
    if len(new.reason) > MAX_REASON_LENGTH:
        errors.append(FieldError("reason", f"must be at most {MAX_REASON_LENGTH} characters"))
    return errors


def add_override(
    uow: UnitOfWork,
    *,
    config: Configuration | None,
    override: NewOverride,
    actor: str,
    now: datetime,
) -> OverrideView:
    """Put a declared user on call for a declared schedule over a span, above every layer.

    Raises Invalid naming each bad field (`schedule`, `user`, `start_at`, `end_at`, `reason`).
    """
    errors = _override_problems(_oncall(config), override, now=now)
    if errors:
        raise Invalid(errors)
    with uow.write() as tx:
        view = tx.overrides.add(
            override.schedule,
            user=override.user,
            start_at=as_utc(override.start_at, field="start_at"),
            end_at=as_utc(override.end_at, field="end_at"),
            reason=override.reason.strip(),
            created_by=actor[:MAX_STORED_ACTOR],
            now=now,
        )
    audit.info(
        "override %s added by %s: %s on call for schedule %s from %s to %s (reason: %r)",
        view.id,
        actor,
        view.user,
        view.schedule,
        view.start_at.isoformat(),
        view.end_at.isoformat(),
        view.reason,
    )
    return view


def list_overrides(
    uow: UnitOfWork,
    *,
    config: Configuration | None,
    schedule: str,
    start_at: datetime,
    end_at: datetime,
) -> list[OverrideView]:
    """Return the live overrides of `schedule` overlapping [start_at, end_at), by start."""
    get_schedule(config, name=schedule)
    start, end = _checked_window(start_at, end_at)
    with uow.read() as tx:
        return tx.overrides.list_(schedule=schedule, start_at=start, end_at=end)


def remove_override(
    uow: UnitOfWork, *, override_id: int, actor: str, now: datetime
) -> OverrideView:
    """Take an override away; its row stays, marked with who removed it and when."""
    with uow.write() as tx:
        view = tx.overrides.remove(override_id, removed_by=actor[:MAX_STORED_ACTOR], now=now)
    audit.info(
        "override %s removed by %s: it had %s on call for schedule %s from %s to %s",
        view.id,
        actor,
        view.user,
        view.schedule,
        view.start_at.isoformat(),
        view.end_at.isoformat(),
    )
    return view


def create_feed_token(
    uow: UnitOfWork, *, config: Configuration | None, user: str, actor: str, now: datetime
) -> str:
    """Issue `user` a new calendar feed token, revoking the old ones; return its secret once."""
    get_user(config, name=user)
    secret = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow.write() as tx:
        revoked = tx.feed_tokens.revoke_all(user, now=now)
        tx.feed_tokens.add(
            user, token_hash=hash_secret(secret), created_by=actor[:MAX_STORED_ACTOR], now=now
        )
    audit.info("calendar feed token of %s issued by %s (%d revoked)", user, actor, revoked)
    return secret


def _feed_owner(tx: Tx, oncall: OnCall, *, token: str | None) -> User:
    """Return the declared user whose live feed token `token` is, or raise Unauthenticated."""
    if not token:
        raise Unauthenticated("add the feed token to the URL as ?token=…")
    name = tx.feed_tokens.find_user(hash_secret(token))
    user = oncall.user(name) if name is not None else None
    if user is None:
        # Unknown, revoked, or its user is no longer declared: all the same to the caller.
        raise Unauthenticated("the feed token is not valid (it may have been replaced)")
    return user


def _feed_window(now: datetime) -> tuple[datetime, datetime]:
    """Return [start, horizon) of a feed generated at `now`: the start on the weekly grid."""
    start = as_utc(now, field="now") - FEED_PAST
    start -= (start - _GRID_ORIGIN) % FEED_GRID
    return start, now + FEED_FUTURE


def _feed_shifts(
    tx: Tx, schedule: Schedule, *, start_at: datetime, horizon: datetime
) -> list[Shift]:
    # A day past the horizon, so that the shifts that go on beyond it are marked as such.
    end_at = horizon + timedelta(days=1)
    views = tx.overrides.list_(schedule=schedule.name, start_at=start_at, end_at=end_at)
    return final_shifts(schedule, _overrides(views), start_at=start_at, end_at=end_at)


def calendar_for_schedule(
    uow: UnitOfWork,
    *,
    config: Configuration | None,
    schedule: str,
    token: str | None,
    now: datetime,
) -> bytes:
    """Return the .ics feed of `schedule` (a week back, 90 days on), for any feed token."""
    oncall = _oncall(config)
    start, horizon = _feed_window(now)
    with uow.read() as tx:
        _feed_owner(tx, oncall, token=token)
        found = get_schedule(config, name=schedule)
        shifts = _feed_shifts(tx, found, start_at=start, horizon=horizon)
    return render_calendar(
        name=found.name,
        shifts=shifts,
        generated_at=now,
        horizon_end=horizon,
        emails={u.name: u.email for u in oncall.users},
    )


def calendar_for_user(
    uow: UnitOfWork,
    *,
    config: Configuration | None,
    token: str | None,
    now: datetime,
    user: str | None = None,
) -> bytes:
    """Return the .ics feed of the token's user's shifts on every schedule.

    When `user` is given, the token must be that user's, or Unauthenticated is raised.
    """
    oncall = _oncall(config)
    start, horizon = _feed_window(now)
    with uow.read() as tx:
        owner = _feed_owner(tx, oncall, token=token)
        if user is not None and user != owner.name:
            raise Unauthenticated(f"the feed token is not valid for {user!r}'s calendar")
        parts = [
            render_calendar(
                name=schedule.name,
                shifts=[
                    s
                    for s in _feed_shifts(tx, schedule, start_at=start, horizon=horizon)
                    if s.user == owner.name
                ],
                generated_at=now,
                horizon_end=horizon,
                emails={owner.name: owner.email},
            )
            for schedule in oncall.schedules
        ]
    frame = render_calendar(
        name=f"On call: {owner.full_name}", shifts=[], generated_at=now, horizon_end=horizon
    )
    return _joined(frame, parts)


_BEGIN_EVENT = b"\r\nBEGIN:VEVENT\r\n"
_END_EVENT = b"\r\nEND:VEVENT\r\n"
_END_CALENDAR = b"END:VCALENDAR\r\n"


def _joined(frame: bytes, parts: Sequence[bytes]) -> bytes:
    """Return calendar `frame` holding the events of every calendar in `parts`.

    Each schedule is rendered on its own so that its events are named after it (and their
    UIDs are the ones of that schedule's feed); the VEVENT blocks are then moved, as whole
    content lines, into one calendar. A folded line starts with a space, so never matches.
    """
    events = b""
    for part in parts:
        first = part.find(_BEGIN_EVENT)
        if first != -1:
            # Both markers start with the CRLF that ends the line before them; skip it.
            events += part[first + 2 : part.rindex(_END_EVENT) + len(_END_EVENT)]
    if not frame.endswith(_END_CALENDAR):
        raise ValueError("the frame is not a rendered calendar")
    return frame[: -len(_END_CALENDAR)] + events + _END_CALENDAR
