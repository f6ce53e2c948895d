"""API tokens: a random secret shown once; only its SHA-256 is kept."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from fireline.domain.access.role import AccessRole

TOKEN_PREFIX = "fl_"


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored token, without its secret."""

    id: int
    name: str
    role: AccessRole
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Tell whether the token still grants access."""
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as authenticated by a token."""

    name: str
    role: AccessRole


def new_secret() -> str:
    """Return a fresh token secret (256 bits of randomness)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Return the digest stored for `secret`; secrets are random, so a plain SHA-256 suffices."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def digests_match(left: str, right: str) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(left, right)
