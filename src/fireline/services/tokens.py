"""API tokens: create (secret shown once), list, revoke, and authenticate a request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fireline.domain.access.role import AccessRole
from fireline.domain.access.token import ApiToken, Principal, hash_secret, new_secret
from fireline.domain.errors import Conflict, FieldError, Invalid, Unauthenticated
from fireline.domain.validation import check_name
from fireline.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token and its secret, which is never stored or shown again."""

    token: ApiToken
    secret: str


def create_token(
    uow: UnitOfWork, *, name: str, role: str, created_by: str, now: datetime
) -> IssuedToken:
    """Create a token; only the hash of its secret is stored."""
    errors: list[FieldError] = []
    check_name(errors, field="name", value=name)
    try:
        access = AccessRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in AccessRole)
        errors.append(FieldError("role", f"{role!r} is not one of {choices}"))
    if errors:
        raise Invalid(errors)
    secret = new_secret()
    with uow.write() as tx:
        if tx.tokens.find_by_name(name) is not None:
            raise Conflict(f"a token named {name!r} already exists (names are never reused)")
        token = tx.tokens.add(
            name=name,
            role=access,
            secret_hash=hash_secret(secret),
            created_by=created_by,
            now=now,
        )
    return IssuedToken(token, secret)


def list_tokens(uow: UnitOfWork) -> list[ApiToken]:
    """Return every token, revoked ones included."""
    with uow.read() as tx:
        return tx.tokens.list_()


def revoke_token(uow: UnitOfWork, *, name: str, now: datetime) -> ApiToken:
    """Revoke a token so that it no longer grants access."""
    with uow.write() as tx:
        return tx.tokens.revoke(name, now=now)


def authenticate(uow: UnitOfWork, *, secret: str) -> Principal:
    """Return who a bearer secret belongs to, or raise Unauthenticated."""
    with uow.read() as tx:
        token = tx.tokens.find_by_hash(hash_secret(secret))
    if token is None:
        raise Unauthenticated("the token is not valid")
    if not token.active:
        raise Unauthenticated(f"the token {token.name!r} was revoked")
    return Principal(token.name, token.role)
