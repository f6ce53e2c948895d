"""/api/v1 on call: who is on call, schedules and their shifts, overrides, users, calendar feeds.

The two `oncall.ics` feeds are authenticated by a calendar feed token in the query string
(`?token=`), because calendar apps cannot send an Authorization header; everything else takes
a bearer API token like the rest of the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.types import DecoratedCallable
from pydantic import AwareDatetime

from fireline.domain.access.feed_tokens import check_may_issue_feed_token
from fireline.domain.access.token import Principal
from fireline.domain.errors import FieldError, Forbidden, Invalid
from fireline.services import oncall as use
from fireline.web import auth
from fireline.web.api.v1.oncall_schemas import (
    FeedTokenIssued,
    OnCallRead,
    OverrideCreate,
    OverrideRead,
    ScheduleRead,
    ShiftRead,
    ShiftsRead,
    UserRead,
)
from fireline.web.deps import container_of
from fireline.web.schemas import API

router = APIRouter(prefix=API, tags=["on call"])

Viewer = Annotated[Principal, Depends(auth.viewer)]
Responder = Annotated[Principal, Depends(auth.responder)]
Instant = Annotated[
    AwareDatetime | None,
    Query(description="ISO 8601 with a UTC offset, e.g. 2026-01-06T08:00:00Z (default: now)"),
]
From = Annotated[
    AwareDatetime | None,
    Query(alias="from", description="Window start, ISO 8601 with offset (default: now)"),
]
To = Annotated[
    AwareDatetime | None,
    Query(alias="to", description="Window end, exclusive (default: 7 days after `from`)"),
]
FeedToken = Annotated[
    str | None,
    Query(description="The calendar feed token from `POST /api/v1/users/{name}/feed-token`"),
]

DEFAULT_WINDOW = timedelta(days=7)
MAX_ID = 2**63 - 1  # ids are BIGINT on PostgreSQL
CALENDAR = "text/calendar; charset=utf-8"
# The window's ends are `from` and `to` here; the use cases call them start_at and end_at.
_QUERY_NAMES = {"start_at": "from", "end_at": "to"}


def _window(
    request: Request, start_at: datetime | None, end_at: datetime | None, *, length: timedelta
) -> tuple[datetime, datetime]:
    """Return [from, to): `from` defaults to now, `to` to `length` after `from`."""
    if start_at is None:
        start = container_of(request).clock.now()
    else:
        start = use.checked_instant(start_at, field="from")
    return start, end_at or start + length


@contextmanager
def _query_names() -> Iterator[None]:
    """Name the window's fields in an `Invalid` raised inside as the query string does."""
    try:
        yield
    except Invalid as invalid:
        errors = [FieldError(_QUERY_NAMES.get(e.field, e.field), e.message) for e in invalid.errors]
        raise Invalid(errors) from invalid


@router.get("/oncall", response_model=list[OnCallRead])
def who(
    request: Request, _who: Viewer, schedule: str | None = None, at: Instant = None
) -> list[OnCallRead]:
    """Who is on call at `at` (default now), on one schedule or on every one."""
    c = container_of(request)
    answers = use.who_is_on_call(
        c.uow,
        config=c.live_config.current(),
        schedule=schedule,
        at=at or c.clock.now(),
    )
    return [OnCallRead.of(a) for a in answers]


@router.get("/schedules", response_model=list[ScheduleRead])
def list_schedules(request: Request, _who: Viewer) -> list[ScheduleRead]:
    """List the declared schedules and their layers."""
    config = container_of(request).live_config.current()
    return [ScheduleRead.of(s) for s in use.list_schedules(config)]


@router.get("/schedules/{name}", response_model=ScheduleRead)
def get_schedule(name: str, request: Request, _who: Viewer) -> ScheduleRead:
    """Read one schedule: its zone and layers (rotation, handoff, restrictions)."""
    config = container_of(request).live_config.current()
    return ScheduleRead.of(use.get_schedule(config, name=name))


@router.get("/schedules/{name}/shifts", response_model=ShiftsRead)
def shifts(
    name: str, request: Request, _who: Viewer, start_at: From = None, end_at: To = None
) -> ShiftsRead:
    """The final shifts over [from, to) (at most 366 days), overrides included."""
    c = container_of(request)
    start, end = _window(request, start_at, end_at, length=DEFAULT_WINDOW)
    with _query_names():
        found = use.schedule_shifts(
            c.uow, config=c.live_config.current(), schedule=name, start_at=start, end_at=end
        )
    return ShiftsRead(
        schedule=name, start_at=start, end_at=end, shifts=[ShiftRead.of(s) for s in found]
    )


@router.get("/schedules/{name}/overrides", response_model=list[OverrideRead])
def list_overrides(
    name: str, request: Request, _who: Viewer, start_at: From = None, end_at: To = None
) -> list[OverrideRead]:
    """The live overrides overlapping [from, to) (default: from now, for 366 days)."""
    c = container_of(request)
    start, end = _window(request, start_at, end_at, length=use.MAX_WINDOW)
    with _query_names():
        views = use.list_overrides(
            c.uow, config=c.live_config.current(), schedule=name, start_at=start, end_at=end
        )
    return [OverrideRead.of(v) for v in views]


@router.post("/schedules/{name}/overrides", status_code=201, response_model=OverrideRead)
def add_override(
    name: str, body: OverrideCreate, request: Request, response: Response, who: Responder
) -> OverrideRead:
    """Put a user on call over [start_at, end_at), above every layer; audited."""
    c = container_of(request)
    config = c.live_config.current()
    use.get_schedule(config, name=name)
    view = use.add_override(
        c.uow,
        config=config,
        override=use.NewOverride(name, body.user, body.start_at, body.end_at, body.reason),
        actor=who.name,
        now=c.clock.now(),
    )
    response.headers["Location"] = f"{API}/overrides/{view.id}"
    return OverrideRead.of(view)


@router.delete("/overrides/{override_id}", response_model=OverrideRead)
def remove_override(
    override_id: Annotated[int, PathParam(ge=1, le=MAX_ID)], request: Request, who: Responder
) -> OverrideRead:
    """Take an override away; the record stays, with who removed it and when."""
    c = container_of(request)
    view = use.remove_override(c.uow, override_id=override_id, actor=who.name, now=c.clock.now())
    return OverrideRead.of(view)


@router.get("/users", response_model=list[UserRead])
def list_users(request: Request, _who: Viewer) -> list[UserRead]:
    """List the declared users and how they are reached."""
    config = container_of(request).live_config.current()
    return [UserRead.of(u) for u in use.list_users(config)]


@router.get("/users/{name}", response_model=UserRead)
def get_user(name: str, request: Request, _who: Viewer) -> UserRead:
    """Read one user: contact methods (URLs cut to their host) and notification rules."""
    config = container_of(request).live_config.current()
    return UserRead.of(use.get_user(config, name=name))


@router.post("/users/{name}/feed-token", status_code=201, response_model=FeedTokenIssued)
def create_feed_token(name: str, request: Request, who: Responder) -> FeedTokenIssued:
    """Issue a new calendar feed token for a user (old ones stop working); shown once.

    A responder issues their own (their API token's name is their user name); a commander or
    admin anyone's.
    """
    c = container_of(request)
    config = c.live_config.current()
    use.get_user(config, name=name)  # an unknown user is 404 whoever asks
    try:
        check_may_issue_feed_token(who, name)
    except Forbidden as refused:
        raise auth.refuse(request, who, refused) from None
    secret = use.create_feed_token(
        c.uow, config=config, user=name, actor=who.name, now=c.clock.now()
    )
    url = str(request.url_for("user_calendar", name=name).include_query_params(token=secret))
    schedule_urls = {
        s.name: str(
            request.url_for("schedule_calendar", name=s.name).include_query_params(token=secret)
        )
        for s in use.list_schedules(config)
    }
    return FeedTokenIssued(
        user=name,
        token=secret,
        url=url,
        webcal_url="webcal://" + url.split("://", 1)[1],
        schedule_urls=schedule_urls,
    )


def _calendar_route(path: str, *, name: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """Route GET `path` (named `name`, for `url_for`) to a view that answers an iCalendar feed."""
    return router.get(
        path,
        response_class=Response,
        name=name,
        responses={200: {"content": {"text/calendar": {}}}},
    )


def _calendar(body: bytes, *, filename: str) -> Response:
    return Response(
        content=body,
        media_type=CALENDAR,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            # The URL is a credential: keep the feed out of shared caches.
            "Cache-Control": "private, max-age=300",
        },
    )


@_calendar_route("/schedules/{name}/oncall.ics", name="schedule_calendar")
def schedule_calendar(name: str, request: Request, token: FeedToken = None) -> Response:
    """The schedule's shifts as an iCalendar feed (a week back, 90 days on); any feed token."""
    c = container_of(request)
    body = use.calendar_for_schedule(
        c.uow, config=c.live_config.current(), schedule=name, token=token, now=c.clock.now()
    )
    return _calendar(body, filename=f"{name}.ics")


@_calendar_route("/users/{name}/oncall.ics", name="user_calendar")
def user_calendar(name: str, request: Request, token: FeedToken = None) -> Response:
    """The user's own shifts on every schedule as an iCalendar feed; that user's feed token."""
    c = container_of(request)
    body = use.calendar_for_user(
        c.uow, config=c.live_config.current(), token=token, user=name, now=c.clock.now()
    )
    return _calendar(body, filename=f"{name}.ics")
