"""On-call schedules: who carries the pager when, from rotations, restrictions and overrides.

Owns the schedule model (`Shift`, `Restriction`, `Layer`, `Override`, `Schedule`), the arithmetic
that turns layers into shifts and answers "who is on call at this instant", the final (flattened)
schedule, and its rendering as an iCalendar feed.

Instants are aware datetimes and every computed shift is in UTC; rotations and restrictions are
read in the layer's IANA time zone. A local wall time is resolved with the UTC offset in force just
before any transition at it (zoneinfo `fold=0`): a time inside a spring-forward gap moves forward
by the gap's length (02:30 → 03:30), an ambiguous fall-back time takes its first occurrence.

May import only the standard library, `zoneinfo`, `icalendar` and `fireline.domain`.
"""
