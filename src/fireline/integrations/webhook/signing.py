"""Webhook signatures, Stripe-style: `X-Fireline-Signature: t=<unix>,v1=<hex>`.

`t` is the Unix time (seconds) at signing; `v1` is the lowercase hex HMAC-SHA256, keyed with
the destination's shared secret (UTF-8), of the bytes `"<t>." + body` — the timestamp, a dot,
then the exact request body. A receiver recomputes it over the raw body it got, compares in
constant time, and rejects a `t` outside its tolerance (5 minutes by default) so a captured
request cannot be replayed later. Several `v1=` entries may appear (for secret rotation); one
match is enough. Unknown keys are ignored, as Stripe does, so a `v2` can be added later.

Receiver recipe in any language:

    t, sigs = parse "t=...,v1=...,v1=..." from the header
    expected = hex(hmac_sha256(secret, f"{t}." + raw_body))
    ok = abs(now - t) <= 300 and any(constant_time_equal(expected, s) for s in sigs)
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

SIGNATURE_HEADER = "X-Fireline-Signature"
SCHEME = "v1"
TOLERANCE = timedelta(minutes=5)
HEX_DIGEST_LENGTH = 64
MAX_HEADER = 4096


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """Return the header value `t=<timestamp>,v1=<hex hmac-sha256 of "<t>.<body>">`."""
    if not secret:
        raise ValueError("a webhook signing secret must not be empty")
    if timestamp < 0:
        raise ValueError("a signing timestamp is a Unix time, never negative")
    return f"t={timestamp},{SCHEME}={_digest(secret, timestamp, body)}"


def verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    now: datetime,
    tolerance: timedelta = TOLERANCE,
) -> bool:
    """Tell whether `header` signs `body` with `secret` at a time within `tolerance` of `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    parsed = _parse(header)
    if not secret or parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = _digest(secret, timestamp, body)
    # Compare against every candidate, without stopping early, in constant time each.
    matches = [hmac.compare_digest(expected, candidate) for candidate in signatures]
    return any(matches)


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[int, list[str]] | None:
    """Read `t=<digits>` (exactly once) and the `v1=<64 hex>` entries; None when malformed."""
    if len(header) > MAX_HEADER:
        return None
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            timestamps.append(value)
        elif key == SCHEME:
            signatures.append(value)
    if len(timestamps) != 1 or not _is_digits(timestamps[0]) or not signatures:
        return None
    if not all(len(s) == HEX_DIGEST_LENGTH and _is_hex(s) for s in signatures):
        return None
    return int(timestamps[0]), signatures


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 12


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)
