"""Webhook signatures: `t=<unix>,v1=<hmac>` made by `sign`, checked by `verify`."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from fireline.integrations.webhook.signing import sign, verify

SECRET = "whsec_signing_test_secret"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T = int(NOW.timestamp())
BODY = b'{"event":"incident.triggered","idempotency_key":"outbox-7"}'


def _header(*, secret: str = SECRET, timestamp: int = T, body: bytes = BODY) -> str:
    return sign(secret=secret, timestamp=timestamp, body=body)


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert _header() == f"t={T},v1={expected}"


def test_verify_accepts_the_right_signature() -> None:
    assert verify(secret=SECRET, header=_header(), body=BODY, now=NOW)


def test_verify_rejects_a_signature_made_with_another_secret() -> None:
    assert not verify(secret=SECRET, header=_header(secret="whsec_other"), body=BODY, now=NOW)


def test_verify_rejects_a_tampered_body() -> None:
    tampered = BODY.replace(b"triggered", b"resolved")

    assert not verify(secret=SECRET, header=_header(), body=tampered, now=NOW)


def test_verify_rejects_a_changed_timestamp_with_the_old_signature() -> None:
    digest = _header().split("v1=")[1]

    assert not verify(secret=SECRET, header=f"t={T + 1},v1={digest}", body=BODY, now=NOW)


@pytest.mark.parametrize(
    ("age", "accepted"),
    [
        (timedelta(0), True),
        (timedelta(minutes=5), True),
        (timedelta(minutes=5, seconds=1), False),
        (timedelta(hours=3), False),
        (-timedelta(minutes=5), True),
        (-timedelta(minutes=5, seconds=1), False),
    ],
)
def test_verify_rejects_timestamps_outside_the_tolerance(age: timedelta, *, accepted: bool) -> None:
    assert verify(secret=SECRET, header=_header(), body=BODY, now=NOW + age) is accepted


def test_tolerance_can_be_tightened() -> None:
    later = NOW + timedelta(seconds=31)

    assert not verify(
        secret=SECRET, header=_header(), body=BODY, now=later, tolerance=timedelta(seconds=30)
    )


def test_any_matching_v1_is_enough_for_secret_rotation() -> None:
    old = _header(secret="whsec_old").split("v1=")[1]
    new = _header().split("v1=")[1]

    assert verify(secret=SECRET, header=f"t={T},v1={old},v1={new}", body=BODY, now=NOW)


def test_unknown_schemes_are_ignored() -> None:
    header = _header().replace(",v1=", ",v0=deadbeef,v1=")

    assert verify(secret=SECRET, header=header, body=BODY, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"t={T}",
        f"v1={'a' * 64}",
        f"t=,v1={'a' * 64}",
        f"t=-{T},v1={'a' * 64}",
        f"t={T}.5,v1={'a' * 64}",
        f"t=１２３,v1={'a' * 64}",
        f"t={T},t={T},v1={'a' * 64}",
        f"t={T},v1=abc",
        f"t={T},v1={'A' * 64}",
        f"t={T},v1={'g' * 64}",
        f"t={T};v1={'a' * 64}",
        f"t={T},v1",
        "t=99999999999999999999,v1=" + "a" * 64,
        f"t={T},v1={'a' * 64}," + "x" * 5000,
    ],
)
def test_verify_rejects_malformed_headers_without_raising(header: str) -> None:
    assert not verify(secret=SECRET, header=header, body=BODY, now=NOW)


def test_uppercase_hex_of_the_right_digest_is_refused() -> None:
    digest = _header().split("v1=")[1]

    assert not verify(secret=SECRET, header=f"t={T},v1={digest.upper()}", body=BODY, now=NOW)


def test_verify_with_an_empty_secret_is_false() -> None:
    assert not verify(secret="", header=_header(), body=BODY, now=NOW)


def test_sign_refuses_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        sign(secret="", timestamp=T, body=BODY)


def test_verify_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(secret=SECRET, header=_header(), body=BODY, now=NOW.replace(tzinfo=None))
