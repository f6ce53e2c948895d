"""Users: who can be paged, through which contact methods, and how soon each one is tried.

A user's notification rules say when each contact method is tried after the user is paged
("immediately", "after 5 minutes"). A user without rules is reached on every contact method
at once; once rules exist, a contact method without a rule is never tried (GoAlert's
contact methods and notification rules work the same way).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fireline.domain.errors import FieldError, Invalid
from fireline.domain.notify.destination import ChannelKind
from fireline.domain.validation import SLUG, check_text

USER_KINDS = (
    ChannelKind.EMAIL,
    ChannelKind.SLACK,
    ChannelKind.SMS,
    ChannelKind.VOICE,
    ChannelKind.WEBHOOK,
)
MAX_CONTACT_METHODS = 20
MAX_NOTIFICATION_RULES = 50
MAX_RULE_DELAY = timedelta(hours=24)
MAX_ADDRESS_LENGTH = 2000

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


@dataclass(frozen=True, slots=True)
class ContactMethod:
    """One way to reach a user: an e-mail address, a phone (SMS or voice) or a URL."""

    name: str
    kind: ChannelKind
    address: str


@dataclass(frozen=True, slots=True)
class NotificationRule:
    """Try `contact_method` (by name) `delay` after the user is paged (zero: immediately)."""

    contact_method: str
    delay: timedelta


@dataclass(frozen=True, slots=True)
class User:
    """A person who can be paged; build one with `make_user`, which validates every field."""

    name: str
    full_name: str
    email: str
    time_zone: str
    contact_methods: tuple[ContactMethod, ...]
    notification_rules: tuple[NotificationRule, ...] = ()

    def effective_rules(self) -> tuple[NotificationRule, ...]:
        """Return the rules in force: the user's own, or every contact method immediately."""
        if self.notification_rules:
            return self.notification_rules
        return tuple(NotificationRule(cm.name, timedelta(0)) for cm in self.contact_methods)

    def notifications(self, *, paged_at: datetime) -> list[tuple[ContactMethod, datetime]]:
        """Return each contact method to try and when, earliest first, for a page at `paged_at`."""
        if paged_at.tzinfo is None or paged_at.utcoffset() != timedelta(0):
            raise ValueError("paged_at must be an aware UTC datetime")
        by_name = {cm.name: cm for cm in self.contact_methods}
        due = [
            (by_name[rule.contact_method], paged_at + rule.delay)
            for rule in self.effective_rules()
            if rule.contact_method in by_name
        ]
        # sorted() is stable, so methods due at the same instant keep the rules' order.
        return sorted(due, key=lambda pair: pair[1])


def make_user(
    *,
    name: str,
    full_name: str,
    email: str,
    time_zone: str,
    contact_methods: Sequence[ContactMethod] = (),
    notification_rules: Sequence[NotificationRule] = (),
) -> User:
    """Validate a user, reporting every bad field at once (Invalid), and return it."""
    errors: list[FieldError] = []
    if not SLUG.match(name):
        errors.append(
            FieldError("name", f"{name!r} is not a slug (lowercase letters, digits, '-')")
        )
    clean_full_name = check_text(errors, field="full_name", value=full_name, max_length=100)
    if not EMAIL.match(email) or len(email) > 254:
        errors.append(FieldError("email", f"{email!r} is not an e-mail address"))
    _check_time_zone(errors, time_zone)
    methods = _check_contact_methods(errors, contact_methods)
    # Rules may name a method whose own fields are bad; only that method's fields are reported.
    rules = _check_rules(errors, notification_rules, known={cm.name for cm in contact_methods})
    if errors:
        raise Invalid(errors)
    return User(name, clean_full_name, email, time_zone, methods, rules)


def _check_time_zone(errors: list[FieldError], time_zone: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(FieldError("time_zone", f"{time_zone!r} is not an IANA time zone"))


def _check_contact_methods(
    errors: list[FieldError], methods: Sequence[ContactMethod]
) -> tuple[ContactMethod, ...]:
    if len(methods) > MAX_CONTACT_METHODS:
        errors.append(FieldError("contact_methods", f"at most {MAX_CONTACT_METHODS} allowed"))
    seen: set[str] = set()
    clean: list[ContactMethod] = []
    for index, method in enumerate(methods):
        where = f"contact_methods[{index}]"
        if not SLUG.match(method.name):
            errors.append(FieldError(f"{where}.name", f"{method.name!r} is not a slug"))
        elif method.name in seen:
            errors.append(FieldError(f"{where}.name", f"{method.name!r} is used twice"))
        seen.add(method.name)
        kind = _check_kind(errors, field=f"{where}.kind", value=method.kind)
        address = method.address.strip()
        if kind is not None:
            problem = address_problem(kind, address)
            if problem:
                errors.append(FieldError(f"{where}.address", problem))
            clean.append(ContactMethod(method.name, kind, address))
    return tuple(clean)


def _check_kind(errors: list[FieldError], *, field: str, value: str) -> ChannelKind | None:
    # Callers at the edge may hand in the plain string; the enum lookup accepts both.
    try:
        kind: ChannelKind | None = ChannelKind(value)
    except ValueError:
        kind = None
    if kind is None or kind not in USER_KINDS:
        errors.append(FieldError(field, f"must be one of {', '.join(USER_KINDS)}"))
        return None
    return kind


def address_problem(kind: ChannelKind, address: str) -> str | None:
    """Return why `address` cannot reach a contact method of `kind`, or None when it can."""
    if not address:
        return "must not be empty"
    if len(address) > MAX_ADDRESS_LENGTH:
        return f"must be at most {MAX_ADDRESS_LENGTH} characters"
    if kind is ChannelKind.EMAIL:
        ok = bool(EMAIL.match(address)) and len(address) <= 254
        return None if ok else f"{address!r} is not an e-mail address"
    if kind in (ChannelKind.SMS, ChannelKind.VOICE):
        ok = bool(E164.match(address))
        return None if ok else "must be an E.164 phone number: '+' and 8 to 15 digits"
    parts = urlsplit(address)
    if parts.scheme not in ("https", "http") or not parts.hostname or " " in address:
        return "must be an http:// or https:// URL"
    return None


def _check_rules(
    errors: list[FieldError], rules: Sequence[NotificationRule], *, known: set[str]
) -> tuple[NotificationRule, ...]:
    if len(rules) > MAX_NOTIFICATION_RULES:
        errors.append(FieldError("notification_rules", f"at most {MAX_NOTIFICATION_RULES}"))
    seen: dict[NotificationRule, int] = {}
    for index, rule in enumerate(rules):
        where = f"notification_rules[{index}]"
        if rule.contact_method not in known:
            message = f"{rule.contact_method!r} is not one of the user's contact methods"
            errors.append(FieldError(f"{where}.contact_method", message))
        delay_problem = _delay_problem(rule.delay)
        if delay_problem:
            errors.append(FieldError(f"{where}.delay", delay_problem))
        if rule in seen:
            errors.append(FieldError(where, f"repeats notification_rules[{seen[rule]}]"))
        seen.setdefault(rule, index)
    return tuple(rules)


def _delay_problem(delay: timedelta) -> str | None:
    if delay < timedelta(0) or delay > MAX_RULE_DELAY:
        return "must be between 0 (immediately) and 24 hours"
    if delay % timedelta(minutes=1):
        return "must be a whole number of minutes"
    return None
