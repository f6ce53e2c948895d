"""Resolving an outbox target to where and how to send, from the live configuration.

Targets are stored as names (`channel:<name>`, `user:<name>/<contact method>`), never as
credentials: a page queued before a key was rotated goes out with the new key.
"""

from __future__ import annotations

from fireline.domain.configuration import OnCall
from fireline.domain.errors import NotFound
from fireline.domain.notify.destination import ChannelKind, Destination
from fireline.domain.user import ContactMethod

CHANNEL = "channel:"
USER = "user:"
# Contact methods whose address is itself where to post; the others need a provider channel.
SELF_ADDRESSED = frozenset({ChannelKind.SLACK, ChannelKind.WEBHOOK})


def channel_target(name: str) -> str:
    """The outbox target of a channel."""
    return f"{CHANNEL}{name}"


def user_target(user: str, method: str) -> str:
    """The outbox target of one contact method of a user."""
    return f"{USER}{user}/{method}"


def destination_for(oncall: OnCall, *, target: str) -> Destination:
    """Return the destination of `target`; NotFound says what the configuration lacks."""
    if target.startswith(CHANNEL):
        name = target.removeprefix(CHANNEL)
        channel = oncall.channel(name)
        if channel is None:
            raise NotFound(f"channel {name!r} is no longer configured")
        return channel.destination(address=channel.settings.get("to", ""))
    if target.startswith(USER):
        user_name, _, method_name = target.removeprefix(USER).partition("/")
        user = oncall.user(user_name)
        if user is None:
            raise NotFound(f"user {user_name!r} is no longer configured")
        method = next((m for m in user.contact_methods if m.name == method_name), None)
        if method is None:
            raise NotFound(f"user {user_name!r} has no contact method {method_name!r}")
        return _through_provider(oncall, method, target=target)
    raise NotFound(f"unknown target {target!r}")


def _through_provider(oncall: OnCall, method: ContactMethod, *, target: str) -> Destination:
    provider_name = oncall.paging.providers.get(method.kind)
    provider = oncall.channel(provider_name) if provider_name else None
    if provider is None and method.kind not in SELF_ADDRESSED:
        raise NotFound(
            f"no channel delivers {method.kind.value} contact methods: "
            f"set paging.providers.{method.kind.value}"
        )
    settings = dict(provider.settings) if provider is not None else {}
    secrets = set(provider.secrets) if provider is not None else set()
    if method.kind is ChannelKind.SLACK:
        settings, secrets = {"webhook_url": method.address}, {"webhook_url"}
    elif method.kind is ChannelKind.WEBHOOK:
        settings["url"] = method.address
    return Destination(
        kind=method.kind,
        name=target,
        address=method.address,
        settings=settings,
        secrets=frozenset(secrets),
    )
