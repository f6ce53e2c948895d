"""Access roles: each covers the weaker ones."""

from __future__ import annotations

import pytest

from fireline.domain.access.role import AccessRole, require
from fireline.domain.access.token import hash_secret, new_secret
from fireline.domain.errors import Forbidden


def test_each_role_covers_weaker_ones_only() -> None:
    order = list(AccessRole)
    for i, held in enumerate(order):
        for j, needed in enumerate(order):
            assert held.covers(needed) is (i >= j)


def test_require_names_the_needed_role() -> None:
    with pytest.raises(Forbidden, match="needs the commander role; this token is responder"):
        require(AccessRole.RESPONDER, AccessRole.COMMANDER, action="assign")


def test_secrets_are_random_and_only_their_hash_is_stable() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith("fl_")
    assert hash_secret(first) == hash_secret(first) != hash_secret(second)
