"""Who may issue a user's calendar feed token (its URL shows that user's shifts to anyone)."""

from __future__ import annotations

from fireline.domain.access.role import AccessRole
from fireline.domain.access.token import Principal
from fireline.domain.errors import Forbidden


def check_may_issue_feed_token(principal: Principal, user: str) -> None:
    """Let a responder issue their own feed token, and a commander or admin anyone's.

    Issuing a new token revokes the old one, so letting any responder issue anyone's would let
    them break a colleague's calendar subscription or take over its URL.
    """
    if principal.name == user or principal.role.rank >= AccessRole.COMMANDER.rank:
        return
    raise Forbidden(
        f"a {principal.role.value} may issue only their own feed token (as {principal.name!r});"
        f" ask a commander or admin to issue {user!r}'s"
    )
